"""The hosting files agree with the README and with each other.

The README's "Run the app" command is the source of truth: ``deploy/cluster.sh`` (replicas
behind HAProxy), ``deploy/Dockerfile`` and ``deploy/kubernetes.json`` must run the same
``streamlit run app.py`` (plus only address and port flags), install the same requirements
file, and serve on the README's port. ``cluster.sh``'s argument checks, its idempotent
``down`` and the balancer configuration it renders are exercised here without starting the
app (``tests/test_browser_cluster.py`` runs the real cluster). No container runtime exists
on the project's machines, so the image is never built; instead one browser test runs the
image's command on exactly the files the Dockerfile copies.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from convexviz.ui.canvas import PARTIAL_PACKAGE
from tests.browser import assert_no_errors, lesson_links, open_app
from tests.streamlit_server import ROOT

DEPLOY = ROOT / "deploy"
CLUSTER = DEPLOY / "cluster.sh"
#: Streamlit's default port, which the README's command uses.
STREAMLIT_DEFAULT_PORT = 8501


# ---------------------------------------------------------------- what the README says


def readme_run_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Run the app", 1)[1]
    return section.split("```bash\n", 1)[1].split("```", 1)[0].strip()


def readme_app_command() -> list[str]:
    """``["streamlit", "run", "app.py"]``: the last step of the README's command."""
    steps = [shlex.split(step) for step in readme_run_block().split("&&")]
    (command,) = [s for s in steps if s[:2] == ["streamlit", "run"]]
    assert command == steps[-1], "the app command is the README's last step"
    return command


def readme_requirements() -> str:
    (name,) = re.findall(r"pip install -r (\S+)", readme_run_block())
    return name


def readme_port() -> int:
    """The port of the README's lesson links; the command sets none, so Streamlit's default."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    ports = set(map(int, re.findall(r"http://localhost:(\d+)/", text)))
    assert ports == {STREAMLIT_DEFAULT_PORT}, ports
    assert "--server.port" not in readme_run_block()
    return STREAMLIT_DEFAULT_PORT


def test_readme_command_is_what_the_hosting_files_start_from():
    assert readme_app_command() == ["streamlit", "run", "app.py"]
    assert readme_requirements() == "requirements.txt"
    assert (ROOT / readme_requirements()).is_file()
    assert readme_port() == 8501


# ---------------------------------------------------------------- deploy/cluster.sh


def cluster_script() -> str:
    return CLUSTER.read_text(encoding="utf-8")


def exported_settings(text: str) -> dict[str, str]:
    """``STREAMLIT_*`` settings a shell script exports (``export NAME=value`` lines)."""
    return dict(re.findall(r"^export (STREAMLIT_[A-Z_]+)=(\S+)$", text, flags=re.MULTILINE))


def flag_pairs(tokens: list[str]) -> dict[str, str]:
    """``["--a", "1", "--b", "2"]`` as ``{"--a": "1", "--b": "2"}`` (flags with one value)."""
    assert len(tokens) % 2 == 0 and all(t.startswith("--") for t in tokens[::2]), tokens
    return dict(zip(tokens[::2], tokens[1::2], strict=True))


def test_cluster_replicas_run_the_readme_command_plus_address_and_port():
    # The replica's command spans a continued line: join continuations first.
    text = cluster_script().replace("\\\n", " ")
    commands = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    (line,) = [ln for ln in commands if "streamlit run" in ln]
    tokens = shlex.split(line[line.index("streamlit run") :].split(">", 1)[0])
    assert tokens[:3] == readme_app_command()
    flags = flag_pairs(tokens[3:])
    assert flags == {"--server.address": "127.0.0.1", "--server.port": "$replica_port"}


def test_cluster_usage_errors_exit_2_with_the_usage():
    wrong = [
        [], ["up"], ["up", "0", "9000"], ["up", "2", "80"], ["up", "x", "9000"],
        ["up", "2", "65534"], ["down", "now"], ["start"], ["config", "33", "9000"],
    ]  # fmt: skip
    for args in wrong:
        done = run_cluster(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert "usage:" in done.stderr


def test_down_is_idempotent_and_never_signals_a_stranger(tmp_path):
    run_dir = tmp_path / "run"
    assert run_cluster("down", run_dir=run_dir).returncode == 0  # nothing ever ran
    run_dir.mkdir()
    # A pid file whose pid now belongs to an unrelated process (pid reuse): not signalled.
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (run_dir / "replica-1.pid").write_text(str(stranger.pid))
        (run_dir / "balancer.pid").write_text(str(stranger.pid))
        for _ in range(2):
            done = run_cluster("down", run_dir=run_dir)
            assert done.returncode == 0, done.stderr
        assert stranger.poll() is None, "down killed a process it did not start"
        assert not list(run_dir.glob("*.pid"))
    finally:
        stranger.kill()
        stranger.wait()


def test_up_refuses_a_port_in_use_and_starts_nothing(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]  # the balancer's port is taken
        done = run_cluster("up", "1", str(port), run_dir=tmp_path / "run",
                           HAPROXY="/bin/true")  # fmt: skip
    assert done.returncode == 1
    assert f"port {port} is in use" in done.stderr
    assert not list((tmp_path / "run").glob("*.pid"))


def test_rendered_balancer_configuration(tmp_path):
    run_dir = tmp_path / "run"
    done = run_cluster("config", "3", "9000", run_dir=run_dir)
    assert done.returncode == 0, done.stderr
    cfg = done.stdout
    assert not re.findall(r"@[A-Z_]+@", cfg), "a placeholder was left unfilled"
    servers = re.findall(r"^\s+server (r\d) 127\.0\.0\.1:(\d+) cookie (r\d)$", cfg, re.MULTILINE)
    assert servers == [("r1", "9001", "r1"), ("r2", "9002", "r2"), ("r3", "9003", "r3")]
    assert re.search(r"^\s+bind 127\.0\.0\.1:9000$", cfg, re.MULTILINE)
    directives = {ln.strip() for ln in cfg.splitlines() if not ln.strip().startswith("#")}
    # Affinity by a cookie the balancer inserts (not by client address: one NAT per hall).
    assert any(d.startswith("cookie CVZ_REPLICA insert") for d in directives)
    assert not any(d.startswith("balance source") for d in directives)
    # Health checks on Streamlit's health route; a dead replica's requests go elsewhere.
    assert "http-check send meth GET uri /_stcore/health ver HTTP/1.1 hdr Host localhost" in (
        directives
    )
    assert "option redispatch 1" in directives
    assert "timeout tunnel 1h" in directives  # an open page's websocket may idle
    assert f'stats socket "{run_dir}/haproxy.sock" mode 600 level admin' in directives
    (tmp_path / "haproxy.cfg").write_text(cfg, encoding="utf-8")
    check = subprocess.run([haproxy_binary(), "-c", "-f", str(tmp_path / "haproxy.cfg")],
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    assert "[WARNING]" not in check.stdout + check.stderr


def test_the_balancer_runs_under_an_ordinary_users_open_file_limit(tmp_path):
    """HAProxy refuses to start when a fixed ``maxconn`` needs more files than ``ulimit -n``
    allows (1024 for many users); the configuration must leave it to HAProxy."""
    port = free_port_block(2)
    done = run_cluster("config", "1", str(port), run_dir=tmp_path)
    (tmp_path / "haproxy.cfg").write_text(done.stdout, encoding="utf-8")

    def small_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))

    proc = subprocess.Popen([haproxy_binary(), "-db", "-f", str(tmp_path / "haproxy.cfg")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            preexec_fn=small_limit)  # fmt: skip
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=2)  # still serving after 2 s
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    finally:
        proc.kill()
        output = proc.communicate()[0].decode(errors="replace")
    assert "Cannot raise FD limit" not in output, output


def haproxy_binary() -> str:
    """Debian's haproxy; skipped when missing, except in CI (``.ci/run`` installs it)."""
    haproxy = shutil.which("haproxy", path=f"{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin")
    if haproxy is None:
        if os.environ.get("CONVEXVIZ_REQUIRE_BROWSER") == "1":
            pytest.fail("haproxy is required (.ci/run installs it)")
        pytest.skip("haproxy is not installed")
    return haproxy


def free_port_block(count: int) -> int:
    """A port P such that nothing listens on 127.0.0.1:P .. P+count-1 right now."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + count <= 65535 and all(port_is_free(base + i) for i in range(count)):
            return base
    raise RuntimeError("no block of free ports found")


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_balancer_address_is_configurable_and_checked():
    room = run_cluster("config", "1", "9000", CONVEXVIZ_BALANCER_ADDRESS="0.0.0.0")
    assert room.returncode == 0, room.stderr
    assert re.search(r"^\s+bind 0\.0\.0\.0:9000$", room.stdout, re.MULTILINE)
    # The replicas stay on the loopback address whatever the balancer's address.
    assert re.findall(r"server r1 (\S+):", room.stdout) == ["127.0.0.1"]
    for wrong in ("localhost", "0.0.0.0; rm -rf /", "256.1.1.1", "::"):
        bad = run_cluster("config", "1", "9000", CONVEXVIZ_BALANCER_ADDRESS=wrong)
        assert bad.returncode == 1 and "must be an IPv4 address" in bad.stderr, wrong
        assert bad.stdout == ""


def test_cluster_script_is_shellcheck_clean():
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    done = subprocess.run(["shellcheck", str(CLUSTER)], capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout


def run_cluster(*args: str, run_dir: Path | None = None, **env: str):
    environ = dict(os.environ, **env)
    if run_dir is not None:
        environ["CONVEXVIZ_RUN_DIR"] = str(run_dir)
    environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ.get('PATH', '')}"
    return subprocess.run([str(CLUSTER), *args], env=environ, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip


# ---------------------------------------------------------------- deploy/Dockerfile


def dockerfile() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` of each instruction of deploy/Dockerfile, in order."""
    lines = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ").splitlines()
    out = []
    for line in lines:
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), " ".join(rest.split())))
    return out


def stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's build stages, each its instructions from its FROM on."""
    out: list[list[tuple[str, str]]] = []
    for step in dockerfile():
        if step[0] == "FROM":
            out.append([])
        out[-1].append(step)
    return out


def instructions(name: str, stage: int = -1) -> list[str]:
    """Arguments of the ``name`` instructions of one build stage (the image's, by default)."""
    return [args for word, args in stages()[stage] if word == name]


def copies(stage: int = -1) -> list[tuple[str, str, str]]:
    """``(from_stage, source, target)`` per COPY of a stage (``from_stage`` "" = the context)."""
    out = []
    for args in instructions("COPY", stage):
        words = args.split()
        origin = words.pop(0).removeprefix("--from=") if words[0].startswith("--from=") else ""
        source, target = words
        out.append((origin, source, target))
    return out


def test_dockerfile_runs_the_readme_command_on_all_addresses():
    (cmd,) = instructions("CMD")
    argv = json.loads(cmd)  # exec form: signals reach Streamlit, no shell in between
    assert argv[:3] == readme_app_command()
    flags = flag_pairs(argv[3:])
    assert flags == {"--server.address": "0.0.0.0", "--server.port": str(readme_port())}
    assert instructions("EXPOSE") == [str(readme_port())]
    (health,) = instructions("HEALTHCHECK")
    assert f"http://127.0.0.1:{readme_port()}/_stcore/health" in health


def test_dockerfile_installs_the_readme_requirements_before_copying_the_code():
    req = readme_requirements()
    steps = stages()[-1]
    copy_req = steps.index(("COPY", f"{req} ./"))
    (install,) = [i for i, (w, a) in enumerate(steps) if w == "RUN" and "pip install" in a]
    assert re.search(rf"pip install (.* )?-r {re.escape(req)}\b", steps[install][1])
    after = [a.split()[0].rstrip("/") for w, a in steps[install:] if w == "COPY"]
    assert copy_req < install
    # Everything `streamlit run app.py` runs: the page, the package, Streamlit's settings.
    assert set(after) >= {"app.py", "convexviz", ".streamlit"}


def test_the_image_serves_the_partial_plotly_bundle_from_a_node_only_stage():
    node, image = stages()
    assert node[0][1].startswith("node:") and node[0][1].endswith(" AS plotly")
    assert ("RUN", "npm ci --omit=dev --no-audit --no-fund") in node
    assert {(s, t) for _, s, t in copies(0)} == {
        ("package.json", "./"),
        ("package-lock.json", "./"),
    }
    (partial,) = [(s, t) for origin, s, t in copies() if origin == "plotly"]
    folder = f"node_modules/{PARTIAL_PACKAGE}/"
    assert partial == (f"/js/{folder}", folder)  # where plotly_bundle() looks, under /app


def test_dockerfile_python_satisfies_the_project_and_runs_unprivileged():
    base = instructions("FROM")[0]
    version = tuple(map(int, re.match(r"python:(\d+)\.(\d+)", base).groups()))
    need = re.search(r'requires-python = ">=(\d+)\.(\d+)"',
                     (ROOT / "pyproject.toml").read_text(encoding="utf-8"))  # fmt: skip
    assert version >= tuple(map(int, need.groups()))
    (user,) = instructions("USER")
    assert user not in {"root", "0"}


def dockerfile_env() -> dict[str, str]:
    pairs = re.findall(r"(\w+)=(\S+)", " ".join(instructions("ENV")))
    return dict(pairs)


def test_dockerfile_and_cluster_use_the_same_streamlit_settings():
    docker = {k: v for k, v in dockerfile_env().items() if k.startswith("STREAMLIT_")}
    assert docker == exported_settings(cluster_script())
    assert docker  # headless, no file watcher
    assert "STREAMLIT_SERVER_COOKIE_SECRET" not in docker  # never baked into an image


def test_docker_build_context_keeps_what_the_image_copies():
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    kept = {ln[1:].rstrip("/") for ln in ignore if ln.startswith("!")}
    copied = {s.rstrip("/") for stage in (0, 1) for origin, s, _ in copies(stage) if not origin}
    assert copied == kept


@pytest.mark.browser
def test_the_files_the_image_copies_serve_a_lesson(tmp_path, browser):
    """The image's /app, rebuilt here from the Dockerfile's COPY lines, runs the image's
    command (on a loopback port) and serves a lesson with no error: nothing it needs at run
    time is left out of the image."""
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    for origin, source, target in copies():
        if origin:  # the node stage's output: what `npm ci` put in node_modules here
            source = source.removeprefix("/js/")
            if not (ROOT / source).exists():
                continue  # no `npm ci` here: the page falls back to the full bundle
        if (ROOT / source).is_dir():
            shutil.copytree(ROOT / source, app_dir / target,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))  # fmt: skip
        else:
            shutil.copy(ROOT / source, app_dir / target)
    port = free_port_block(1)
    (cmd,) = instructions("CMD")
    argv = json.loads(cmd)
    argv[argv.index("0.0.0.0")] = "127.0.0.1"
    argv[argv.index(str(readme_port()))] = str(port)
    streamlit = str(Path(sys.executable).parent / argv[0])
    env = {**os.environ, **dockerfile_env()}
    proc = subprocess.Popen([streamlit, *argv[1:]], cwd=app_dir, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        assert proc.poll() is None, "the image's command exited"
        page = context.new_page()
        open_app(page, base, **lesson_links()[0][1])
        assert_no_errors(page)
    finally:
        context.close()
        proc.kill()
        proc.wait(timeout=10)


# ---------------------------------------------------------------- deploy/kubernetes.json


def manifest() -> dict[str, dict]:
    doc = json.loads((DEPLOY / "kubernetes.json").read_text(encoding="utf-8"))
    assert doc["kind"] == "List"
    items = {item["kind"]: item for item in doc["items"]}
    assert sorted(items) == ["Deployment", "Ingress", "Service"]
    return items


def test_kubernetes_runs_the_dockerfile_image_unchanged():
    deployment = manifest()["Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    # No command or args: the image's CMD (the README command, tested above) runs.
    assert "command" not in container and "args" not in container
    build_tags = re.findall(r"docker build -f deploy/Dockerfile -t (\S+) \.",
                            (DEPLOY / "Dockerfile").read_text(encoding="utf-8"))  # fmt: skip
    assert build_tags == [container["image"]]
    (port,) = container["ports"]
    assert port["containerPort"] == readme_port()
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/_stcore/health", "port": port["name"]}
    (env,) = container["env"]
    assert env["name"] == "STREAMLIT_SERVER_COOKIE_SECRET"
    assert set(env["valueFrom"]) == {"secretKeyRef"}  # from a Secret, never a literal
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_kubernetes_service_and_ingress_reach_the_pods_with_cookie_affinity():
    items = manifest()
    deployment, service, ingress = items["Deployment"], items["Service"], items["Ingress"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"] == labels
    assert service["spec"]["selector"] == labels
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    (svc_port,) = service["spec"]["ports"]
    assert svc_port["targetPort"] == container["ports"][0]["name"]
    (rule,) = ingress["spec"]["rules"]
    (path,) = rule["http"]["paths"]
    backend = path["backend"]["service"]
    assert backend == {"name": service["metadata"]["name"], "port": {"name": svc_port["name"]}}
    notes = {k.removeprefix("nginx.ingress.kubernetes.io/"): v
             for k, v in ingress["metadata"]["annotations"].items()}  # fmt: skip
    assert notes["affinity"] == "cookie"  # not the client address: one NAT per lecture hall
    assert notes["session-cookie-change-on-failure"] == "true"  # a dead pod's pages move on
    # An open page is one websocket that may stay quiet for long: an hour's read timeout.
    assert int(notes["proxy-read-timeout"]) >= 3600
    assert int(notes["proxy-send-timeout"]) >= 3600


# ---------------------------------------------------------------- README's hosting section


def hosting_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("## Host it for a class\n", 1)[1].split("\n## ", 1)[0]


def test_readme_hosting_commands_are_the_files_commands():
    section = hosting_section()
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    commands = [ln.split("#", 1)[0].strip() for b in blocks for ln in b.splitlines()]
    # Every cluster.sh command shown is accepted by the script (usage errors exit 2).
    shown = [shlex.split(c) for c in commands if "deploy/cluster.sh" in c]
    assert {c[c.index("deploy/cluster.sh") + 1] for c in shown} == {"up", "status", "down"}
    for cmd in shown:
        args = cmd[cmd.index("deploy/cluster.sh") + 1 :]
        if args[0] == "up":
            done = run_cluster("config", *args[1:])
            assert done.returncode == 0, (cmd, done.stderr)
    # The image is built as the Dockerfile says and is the one the manifest runs.
    dockerfile_text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    (build,) = [c for c in commands if c.startswith("docker build")]
    assert f"#   {build}\n" in dockerfile_text
    (container,) = manifest()["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert build.split(" -t ", 1)[1].split()[0] == container["image"]
    # The Secret created is the one the manifest reads, under the key it reads.
    (secret,) = [c for c in commands if c.startswith("kubectl create secret")]
    ref = container["env"][0]["valueFrom"]["secretKeyRef"]
    assert f"generic {ref['name']} --from-literal={ref['key']}=" in secret
    assert "kubectl apply -f deploy/kubernetes.json" in commands
    # It says what was run here and what was not.
    assert "tests/test_browser_cluster.py" in section
    assert "no container runtime" in " ".join(section.split())
