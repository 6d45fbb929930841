"""Dashboard tests: Flask test-client pages and forms, and a real-browser run."""
