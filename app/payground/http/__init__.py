"""Cross-cutting request plumbing: form decoding, schemas, auth, idempotency, request ids."""
