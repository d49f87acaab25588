"""The cloud half: a stateless grpc.aio gateway in front of a model backend."""
