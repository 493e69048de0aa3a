"""AWS Lambda handlers; one module per area, one function per handler."""
