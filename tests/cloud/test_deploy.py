"""The deployment files stay in step with the settings classes (strict keys) and each other."""

from __future__ import annotations

from pathlib import Path

import yaml

from privsplit.cloud.settings import CloudSettings
from privsplit.edge.settings import EdgeSettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_example_cloud_config_is_valid() -> None:
    settings = CloudSettings.load(DEPLOY / "config" / "cloud.yaml")
    assert not settings.insecure and settings.tls_client_ca is not None
    assert settings.backend == "openai" and settings.tenants[0].client_names == ["edge-acme"]


def test_example_edge_config_is_valid() -> None:
    settings = EdgeSettings.load(DEPLOY / "config" / "edge.yaml")
    assert not settings.cloud.insecure and settings.cloud.token_file is not None


def test_helm_values_render_a_valid_config(tmp_path) -> None:
    values = yaml.safe_load((DEPLOY / "helm" / "privsplit-cloud" / "values.yaml").read_text())
    config = {
        **values["config"],
        "tls_cert": "/etc/privsplit/tls/server.pem",
        "tls_key": "/etc/privsplit/tls/server.key",
        "tls_client_ca": "/etc/privsplit/tls/ca.pem",
        "tenants": [{"name": "t", "token_sha256": "a" * 64}],
    }  # the chart fails without tenants
    path = tmp_path / "cloud.yaml"
    path.write_text(yaml.safe_dump(config))
    settings = CloudSettings.load(path)
    assert settings.metrics_port == values["service"]["metricsPort"]
    assert settings.port == values["service"]["grpcPort"]


def test_compose_file_parses_and_keeps_the_engine_internal() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert "ports" not in compose["services"]["vllm"]
    assert compose["networks"]["internal"]["internal"] is True
    assert compose["services"]["gateway"]["stop_signal"] == "SIGTERM"
