"""The answering stage: from retrieved candidates to answers a person can act on — the service item
and its materials (cited), the applicant's own checklist (situations), policies with their validity,
eligibility and a company-profile match. It imports the index's public API and the ground floor
(core/), never HTTP code; the routes, the CLI and eval all call it.

- :func:`answer.item.answer` — "what materials do I need for X" (:mod:`.candidates`, :mod:`.decision`,
  :mod:`.materials`, :mod:`.terms`).
"""
