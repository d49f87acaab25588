"""The one import point for the generated wire contract (privsplit.v1).

Application code imports messages and stubs from here, never from ``_gen`` directly, so a
regeneration or a package move touches one file.
"""

from privsplit.shared._gen.privsplit.v1 import (
    cloud_pb2,
    cloud_pb2_grpc,
    common_pb2,
    edge_pb2,
    edge_pb2_grpc,
)

pb = common_pb2
cloud = cloud_pb2
edge = edge_pb2

CloudInferenceStub = cloud_pb2_grpc.CloudInferenceStub
CloudInferenceServicer = cloud_pb2_grpc.CloudInferenceServicer
add_CloudInferenceServicer_to_server = cloud_pb2_grpc.add_CloudInferenceServicer_to_server

EdgeAgentStub = edge_pb2_grpc.EdgeAgentStub
EdgeAgentServicer = edge_pb2_grpc.EdgeAgentServicer
add_EdgeAgentServicer_to_server = edge_pb2_grpc.add_EdgeAgentServicer_to_server

CLOUD_SERVICE_NAME = cloud_pb2.DESCRIPTOR.services_by_name["CloudInference"].full_name
EDGE_SERVICE_NAME = edge_pb2.DESCRIPTOR.services_by_name["EdgeAgent"].full_name

__all__ = [
    "pb",
    "cloud",
    "edge",
    "CloudInferenceStub",
    "CloudInferenceServicer",
    "add_CloudInferenceServicer_to_server",
    "EdgeAgentStub",
    "EdgeAgentServicer",
    "add_EdgeAgentServicer_to_server",
    "CLOUD_SERVICE_NAME",
    "EDGE_SERVICE_NAME",
]
