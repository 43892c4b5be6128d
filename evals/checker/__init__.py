"""The citation checker measured on a real language model's claims (see README.md here)."""
