"""One router per resource: search, answer, documents, health, admin, the page."""
