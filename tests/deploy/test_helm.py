"""The Helm chart as an operator installs it: rendered by Helm's own Go SDK (helm-python-sdk, no
helm binary) with the default values and with every example values file, linted (strict), and
every manifest validated against the Kubernetes schemas (kubernetes-validate, strict: unknown
fields fail). Then what the manifests mean: the config the gateway reads loads through the
strict settings class, the probe command really checks a running gateway over mTLS with the
files where the pod mounts them, the key-copy init container makes keys the gateway accepts,
the NetworkPolicies let only the gateway reach the engine, and no Secret is generated.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from privsplit.cloud.auth import hash_token, new_token
from privsplit.cloud.settings import CloudSettings
from privsplit.shared.tls import init_pki
from tests.conftest import start_cli_server

helm = pytest.importorskip("helm_python", reason="helm-python-sdk is not installed (dev extra)")
kv = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate is not installed")

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "privsplit-cloud"
EXAMPLES = sorted((CHART / "examples").glob("*.yaml"))
KUBE_VERSIONS = ["1.30.0", "1.33.0"]  # an older supported release and a current one
CASES = [None, *EXAMPLES]
CASE_IDS = ["defaults", *(p.stem for p in EXAMPLES)]


def values_of(case: Path | None) -> dict[str, Any] | None:
    return yaml.safe_load(case.read_text()) if case is not None else None


def render(
    values: dict[str, Any] | None, *, release: str = "privsplit-cloud"
) -> list[dict[str, Any]]:
    """The manifests of ``helm template`` (NOTES.txt dropped), each one a document."""
    with helm.Chart.load(str(CHART)) as chart:
        files = chart.render(values=values, name=release, namespace="privsplit")
    docs = []
    for name, text in files.items():
        if name.endswith(".yaml"):
            docs.extend(d for d in yaml.safe_load_all(text) if d)
    return docs


def one(docs: list[dict[str, Any]], kind: str, engine: bool = False) -> dict[str, Any]:
    """The one object of ``kind`` of the gateway (or, ``engine=True``, of the in-chart vLLM)."""
    (found,) = [
        d for d in docs if d["kind"] == kind and d["metadata"]["name"].endswith("-vllm") == engine
    ]
    return found


def pod_spec(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return one(docs, "Deployment")["spec"]["template"]["spec"]


def test_every_example_values_file_is_documented() -> None:
    """The examples the test renders are the ones docs/deploy.md names (and vice versa)."""
    docs = (CHART.parents[2] / "docs" / "deploy.md").read_text()
    assert EXAMPLES, "no example values files"
    for path in EXAMPLES:
        assert f"examples/{path.name}" in docs, path.name
    name = one(render(None), "Deployment")["metadata"]["name"]  # release as the docs install it
    assert "helm install privsplit-cloud " in docs and f"deployment/{name}`" in docs


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_chart_lints_clean(case: Path | None) -> None:
    report = helm.lint(str(CHART), values=values_of(case), strict=True, kube_version="v1.33.0")
    assert report["errors"] == [], report
    worse_than_info = [m for m in report["messages"] if m["severity"] >= 2]
    assert worse_than_info == [], report


@pytest.mark.parametrize("kube", KUBE_VERSIONS)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_rendered_manifests_match_the_kubernetes_schemas(case: Path | None, kube: str) -> None:
    docs = render(values_of(case))
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Service", "ConfigMap"} <= kinds
    for doc in docs:
        kv.validate(doc, kube, strict=True)  # raises on an unknown or mistyped field


def test_schema_validation_catches_a_wrong_field() -> None:
    """The validation above can fail: a misspelt field in a rendered manifest is refused."""
    deployment = one(render(None), "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["periodSecond"] = 5
    with pytest.raises(kv.ValidationError):
        kv.validate(deployment, "1.33.0", strict=True)


def test_default_release_has_what_an_operator_expects() -> None:
    docs = render(None)
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == sorted(
        [
            "ConfigMap",
            "Deployment",
            "HorizontalPodAutoscaler",
            "NetworkPolicy",
            "PodDisruptionBudget",
            "Service",
        ]
    )
    assert "Secret" not in kinds  # secrets are referenced, never generated
    spec = pod_spec(docs)
    deployment = one(docs, "Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert "replicas" not in deployment["spec"]  # the HPA owns the count
    hpa = one(docs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["spec"]["minReplicas"] >= 2
    assert one(docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"].items() <= (
        labels.items()
    )
    service = one(docs, "Service")
    assert service["spec"]["selector"].items() <= labels.items()
    assert {p["name"]: p.get("appProtocol") for p in service["spec"]["ports"]}["grpc"] == "grpc"
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["automountServiceAccountToken"] is False
    for container in spec["containers"] + spec["initContainers"]:
        ctx = container["securityContext"]
        assert ctx["readOnlyRootFilesystem"] is True and ctx["allowPrivilegeEscalation"] is False
        assert ctx["capabilities"]["drop"] == ["ALL"]
        assert container["resources"]["requests"]["cpu"]
        assert container["resources"]["requests"]["memory"]
    gateway = spec["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        command = gateway[probe]["exec"]["command"]
        assert command[:3] == ["privsplit", "cloud", "health"] and "--tls-cert" in command
    grace = yaml.safe_load(one(docs, "ConfigMap")["data"]["cloud.yaml"])["grace_seconds"]
    assert spec["terminationGracePeriodSeconds"] > grace
    secrets = {v["secret"]["secretName"] for v in spec["volumes"] if "secret" in v}
    assert secrets == {"privsplit-cloud-tls"}
    env = {e["name"]: e for e in gateway["env"]}
    assert env["PRIVSPLIT_CLOUD_TENANTS"]["valueFrom"]["secretKeyRef"]["name"] == (
        "privsplit-cloud-tenants"
    )


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_rendered_config_loads_in_the_gateway(case: Path | None, tmp_path: Path, monkeypatch):
    """cloud.yaml from the ConfigMap passes the gateway's strict settings, with its TLS files
    where the pod mounts them and the tenants as the Secret delivers them."""
    docs = render(values_of(case))
    config = one(docs, "ConfigMap")["data"]["cloud.yaml"]
    path = tmp_path / "cloud.yaml"
    path.write_text(config)
    for key in [k for k in os.environ if k.startswith("PRIVSPLIT_CLOUD_")]:
        monkeypatch.delenv(key)
    env = {e["name"]: e for e in pod_spec(docs)["containers"][0].get("env", [])}
    if "PRIVSPLIT_CLOUD_TENANTS" in env:
        tenants = [{"name": "acme", "token_sha256": hash_token(new_token())}]
        monkeypatch.setenv("PRIVSPLIT_CLOUD_TENANTS", json.dumps(tenants))
    settings = CloudSettings.load(path)
    assert not settings.insecure and settings.tenants
    mounts = {m["mountPath"]: m for m in pod_spec(docs)["containers"][0]["volumeMounts"]}
    for file in (settings.tls_cert, settings.tls_key, settings.tls_client_ca):
        assert str(Path(file).parent) in mounts, file
    values = values_of(case) or {}
    if values.get("tls", {}).get("crlSecret"):
        # the CRL's directory is mounted whole (a subPath mount never sees the Secret's updates)
        mount = mounts[str(settings.tls_client_crl.parent)]
        assert "subPath" not in mount
        (volume,) = [v for v in pod_spec(docs)["volumes"] if v["name"] == mount["name"]]
        assert volume["secret"]["secretName"] == values["tls"]["crlSecret"]
    else:
        assert settings.tls_client_crl is None
    if values.get("vllm", {}).get("enabled"):
        vllm_service = one(docs, "Service", engine=True)
        port = vllm_service["spec"]["ports"][0]["port"]
        assert settings.openai.base_url == f"http://{vllm_service['metadata']['name']}:{port}/v1"


# Settings the chart does not offer, and why.
NOT_IN_CHART = {
    # the in-process llama.cpp backend: the chart serves the model from an OpenAI-compatible engine
    "models_dir",
    "model",
    "n_ctx",
    "n_threads",
    "instances",
    "max_queue",
    "insecure",  # the chart serves mutual TLS only
    "tls_cert",
    "tls_key",
    "tls_client_ca",
    "tls_client_crl",  # set by the chart (its mounts)
}


def test_every_gateway_setting_is_in_the_values_or_set_by_the_chart() -> None:
    """A gateway setting added later must reach values.yaml (with its default) or be named here
    with a reason: operators read values.yaml as the list of what they can change."""
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())["config"]
    missing = [
        name for name in CloudSettings.model_fields if name not in NOT_IN_CHART | set(defaults)
    ]
    assert not missing, f"not in values.yaml config: {missing}"
    for name, value in defaults.items():
        default = CloudSettings.model_fields[name].get_default(call_default_factory=True)
        if name not in {"host", "backend", "openai", "metrics_host", "metrics_port", "log_level"}:
            assert value == default, (name, value, default)  # values.yaml shows the real defaults


def test_missing_tls_or_tenants_stops_the_render() -> None:
    with pytest.raises(helm.HelmError, match="tls.existingSecret is required"):
        render({"tls": {"existingSecret": ""}})
    with pytest.raises(helm.HelmError, match="tenants"):
        render({"tenants": {"existingSecret": ""}, "config": {"tenants": []}})


def test_only_the_gateway_reaches_the_in_chart_engine() -> None:
    docs = render(values_of(CHART / "examples" / "in-chart-vllm.yaml"))
    gateway_labels = one(docs, "Deployment")["spec"]["template"]["metadata"]["labels"]
    engine_labels = one(docs, "Deployment", engine=True)["spec"]["template"]["metadata"]["labels"]
    engine_policy = one(docs, "NetworkPolicy", engine=True)
    assert engine_policy["spec"]["podSelector"]["matchLabels"].items() <= engine_labels.items()
    assert set(engine_policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    (rule,) = engine_policy["spec"]["ingress"]
    (peer,) = rule["from"]
    assert set(peer) == {"podSelector"}  # same namespace, no ipBlock, no other namespace
    selector = peer["podSelector"]["matchLabels"]
    assert selector.items() <= gateway_labels.items()
    assert not selector.items() <= engine_labels.items()  # engine pods cannot call each other
    gateway_policy = one(docs, "NetworkPolicy")
    egress_peers = [p for r in gateway_policy["spec"]["egress"] for p in r["to"]]
    assert {
        "podSelector": {"matchLabels": engine_policy["spec"]["podSelector"]["matchLabels"]}
    } in (egress_peers)
    tp = one(docs, "Deployment", engine=True)["spec"]["template"]["spec"]["containers"][0]
    assert "--tensor-parallel-size=2" in tp["args"]
    assert tp["resources"]["limits"]["nvidia.com/gpu"] == 2


def test_gateway_ingress_only_from_allowed_clients() -> None:
    docs = render(None)
    policy = one(docs, "NetworkPolicy")
    ports = {r["ports"][0]["port"]: r["from"] for r in policy["spec"]["ingress"]}
    assert set(ports) == {"grpc", "metrics"}
    assert ports["grpc"] == [{"ipBlock": {"cidr": "10.0.0.0/8"}}]
    closed = render({"networkPolicy": {"clients": [], "metricsFrom": []}})
    assert one(closed, "NetworkPolicy")["spec"]["ingress"] == []  # nobody, not everybody


def test_no_secret_values_in_the_chart() -> None:
    """Values and examples carry Secret names and token digests, never a token or a key."""
    for path in [CHART / "values.yaml", *EXAMPLES]:
        text = path.read_text()
        assert "psk_" not in text and "PRIVATE KEY" not in text, path


@pytest.mark.slow
def test_probe_and_key_copy_work_against_a_real_gateway(tmp_path: Path) -> None:
    """The pod's own commands, run here: the init container's copy turns group-readable Secret
    files (0440, what fsGroup makes) into 0600 keys; the gateway starts on the rendered
    cloud.yaml; the rendered probe command reports SERVING over mTLS with the probe's
    certificate and the configured server name, and fails without the right CA."""
    docs = render(None)
    spec = pod_spec(docs)
    secret_dir, tls_dir = tmp_path / "tls-secret", tmp_path / "tls"
    tls_dir.mkdir()
    init_pki(secret_dir, server_names=["gateway.example.internal"], clients=["probe"])
    (secret_dir / "ca.key").unlink()  # never in the Secret
    for file in secret_dir.iterdir():
        file.chmod(0o440)

    def here(text: str) -> str:
        return text.replace("/run/privsplit/tls-secret", str(secret_dir)).replace(
            "/run/privsplit/tls", str(tls_dir)
        )

    init = spec["initContainers"][0]["command"]
    subprocess.run([here(a) for a in init], check=True)
    for key in ("server.key", "client-probe.key"):
        assert stat.S_IMODE((tls_dir / key).stat().st_mode) == 0o600

    config = yaml.safe_load(one(docs, "ConfigMap")["data"]["cloud.yaml"])
    config.update(
        host="127.0.0.1",
        port=0,
        metrics_port=None,
        tls_cert=here(config["tls_cert"]),
        tls_key=here(config["tls_key"]),
        tls_client_ca=here(config["tls_client_ca"]),
    )
    path = tmp_path / "cloud.yaml"
    path.write_text(yaml.safe_dump(config))
    tenants = json.dumps([{"name": "acme", "token_sha256": hash_token(new_token())}])
    server = start_cli_server(
        ["cloud", "serve", "--config", str(path)],
        tmp_path / "cloud.log",
        env={"PRIVSPLIT_CLOUD_TENANTS": tenants},
    )
    try:
        probe = spec["containers"][0]["readinessProbe"]["exec"]["command"]
        args = [here(a) for a in probe]
        args[args.index("--address") + 1] = f"127.0.0.1:{server.port}"
        assert args[0] == "privsplit"
        cli = [sys.executable, "-m", "privsplit.cli.main", *args[1:]]
        ok = subprocess.run(cli, capture_output=True, text=True, timeout=60)
        assert ok.returncode == 0 and ok.stdout.strip() == "SERVING", ok.stderr
        rogue = init_pki(
            tmp_path / "rogue", server_names=["gateway.example.internal"], clients=["probe"]
        )
        wrong = [rogue.ca.cert.as_posix() if a.endswith("/ca.pem") else a for a in cli]
        bad = subprocess.run(wrong, capture_output=True, text=True, timeout=60)
        assert bad.returncode == 1, shlex.join(wrong)
    finally:
        assert server.stop() == 0, server.log_path.read_text()[-2000:]
