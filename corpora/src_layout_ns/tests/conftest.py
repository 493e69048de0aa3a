import freezegun  # noqa: F401  (a test-only helper: left out of the runtime lock with the tests)
