"""The on-device agent daemon: gRPC EdgeAgent (Unix socket, optional loopback TCP) and an
OpenAI-compatible HTTP API in front of the edge pipeline."""
