"""The ground floor: the records the stages exchange, the library's errors, the one settings object
and the query record. It imports no stage (ingest, index, answer, service, eval, the CLI); every
stage imports it."""
