"""Developer tooling: the local Functions host and the emulator wrapper. Not deployed."""
