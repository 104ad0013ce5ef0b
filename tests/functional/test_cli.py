"""The ``pypvm-tx`` command line, run as a real subprocess (SPEC E3)."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from pypvm_tx import cli
from pypvm_tx.testing import fixtures as pvm_fx


@pytest.fixture
def emulator_fx():
    """E2: EmulatorFx as a pytest fixture (a running emulator and a
    logged-on Adapter)."""
    with pvm_fx.EmulatorFx() as fx:
        yield fx


def run_cli(*args, timeout=120):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "pypvm_tx", *args],
                          capture_output=True, text=True, timeout=timeout,
                          env=env)


def test_e3_demo_json_all_updated_once_with_conflicts_nothing_lost():
    """E3: demo --lpars 50 --vioses 2 --conflict-rate 0.3 --json: every
    entry updated exactly once, conflicts retried, nothing lost, exit 0."""
    proc = run_cli("demo", "--lpars", "50", "--vioses", "2",
                   "--conflict-rate", "0.3", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["entries"] == 52
    assert result["updated"] == 52
    assert result["unchanged"] == result["failed"] == 0
    assert result["conflicts_retried"] > 0
    assert result["lost"] == 0
    assert result["ok"] is True
    ver = result["verification"]
    assert ver["checked"] == ver["expected_changes"] == 52
    assert ver["changed_exactly_once"] == 52
    assert ver["out_of_band_changes"] > 0
    assert ver["out_of_band_survived"] == ver["out_of_band_changes"]
    assert ver["problems"] == []
    calls = result["rest_calls"]["by_method"]
    # One POST per entry plus one per conflict; GETs: 2 feeds + refreshes.
    assert calls["POST"] == 52 + result["conflicts_retried"]
    assert calls["GET"] == 2 + result["conflicts_retried"]
    assert result["rest_calls"]["by_status"]["412"] == \
        result["conflicts_retried"]
    assert result["post_execute"] == {
        "LogicalPartition": {"entries_reported": 50},
        "VirtualIOServer": {"entries_reported": 2}}


def test_e3_demo_entry_failing_for_good_exits_nonzero_and_names_it():
    """E3: the emulator fails every POST of the one VIOS: non-zero exit,
    the failed entry named (JSON and stderr), the others still updated."""
    proc = run_cli("demo", "--lpars", "5", "--vioses", "1",
                   "--fault", "status=500,methods=POST,types=VirtualIOServer",
                   "--json")
    assert proc.returncode == cli.EXIT_FAILED
    result = json.loads(proc.stdout)
    assert (result["updated"], result["failed"]) == (5, 1)
    assert result["ok"] is False
    [failure] = result["failures"]
    assert failure["type"] == "VirtualIOServer"
    assert failure["name"] == "vios-01"
    assert "500" in failure["error"]
    assert failure["uuid"] in proc.stderr and "vios-01" in proc.stderr
    assert result["lost"] == 0


def test_e3_demo_human_summary():
    """E3: without --json the summary table names every figure."""
    proc = run_cli("demo", "--lpars", "6", "--vioses", "1",
                   "--conflict-rate", "0.5", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    for label in ("Updated", "Unchanged", "Failed", "Conflicts retried",
                  "REST calls", "Wall time", "no update lost"):
        assert label in proc.stdout


def run_in_process(capsys, *args):
    """cli.main in this process (fast); returns (code, stdout, stderr)."""
    try:
        code = cli.main(list(args))
    except SystemExit as exc:  # argparse errors
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("args, message", [
    (["demo", "--conflict-rate", "2"], "between 0 and 1"),
    (["demo", "--workers", "0"], "at least 1"),
    (["demo", "--latency-ms", "-5"], "at least 0"),
    (["demo", "--fault", "status500"], "key=value"),
    (["demo", "--fault", "colour=red"], "unknown fault key"),
])
def test_e3_demo_bad_options(capsys, args, message):
    """E3: bad options exit 2 saying what is accepted."""
    code, _out, err = run_in_process(capsys, *args)
    assert code == cli.EXIT_USAGE
    assert message in err


def test_e3_demo_url_needs_user_and_password(capsys, monkeypatch):
    """E3: --url without --user or password says what is missing."""
    code, _out, err = run_in_process(capsys, "demo", "--url",
                                     "https://127.0.0.1:1", "--json")
    assert code == cli.EXIT_USAGE
    assert "--user" in err
    monkeypatch.delenv("PYPVM_TX_TEST_NO_SUCH_VAR", raising=False)
    code, _out, err = run_in_process(
        capsys, "demo", "--url", "https://127.0.0.1:1", "--user", "me",
        "--password-env", "PYPVM_TX_TEST_NO_SUCH_VAR")
    assert code == cli.EXIT_USAGE
    assert "PYPVM_TX_TEST_NO_SUCH_VAR" in err


def test_e3_demo_against_url_is_read_only(emulator_fx, monkeypatch):
    """E3: --url points the demo at a running server (here the emulator);
    without --apply nothing is written."""
    emu = emulator_fx.emulator
    env_name = "PYPVM_TX_TEST_PASSWORD"
    monkeypatch.setenv(env_name, "abc123")
    proc = run_cli("demo", "--url", emulator_fx.url, "--user", emu.user,
                   "--password-env", env_name, "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["target"] == emulator_fx.url
    assert result["unchanged"] == result["entries"] == 5
    assert result["rest_calls"]["by_method"].get("POST", 0) == 0
    assert emu.count(method="POST", schema_type="LogicalPartition") == 0


def test_e3_demo_against_url_apply_rewrites_without_changing(emulator_fx,
                                                           monkeypatch):
    """E3: --apply POSTs every entry back (an etag transaction each) and
    the values stay as they were."""
    emu = emulator_fx.emulator
    uuid = emulator_fx.uuids()[0]
    memory = emu.get_value(uuid, "PartitionMemoryConfiguration/DesiredMemory")
    version = emu.version(uuid)
    monkeypatch.setenv("PYPVM_TX_TEST_PASSWORD", "abc123")
    proc = run_cli("demo", "--url", emulator_fx.url, "--user", emu.user,
                   "--password-env", "PYPVM_TX_TEST_PASSWORD", "--apply",
                   "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["updated"] == result["entries"] == 5
    assert result["lost"] == 0
    assert emu.version(uuid) == version + 1
    assert emu.get_value(
        uuid, "PartitionMemoryConfiguration/DesiredMemory") == memory


def test_e3_version_and_help(capsys):
    """E3: --version and the subcommand list."""
    code, out, _err = run_in_process(capsys, "--version")
    assert code == 0 and "pypvm-tx" in out
    code, out, _err = run_in_process(capsys)
    assert code == cli.EXIT_USAGE
    assert "demo" in out and "emulator" in out


def test_e3_emulator_subcommand_serves_until_stopped():
    """E3: `pypvm-tx emulator` serves in the foreground; its first line is
    the URL; SIGTERM stops it cleanly."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pypvm_tx", "emulator", "--port", "0",
         "--lpars", "2", "--vioses", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        from pypvm_tx.testing.emulator import EmulatorControl
        entries = EmulatorControl(url).entries()
        assert len(entries) == 2
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode == 0


def test_e3_emulator_subcommand_takes_the_emulators_own_options(capsys):
    """E3 (issue 8 scope 6): `pypvm-tx emulator` is a subcommand built
    from the emulator's own parser: its options parse, --help lists
    them, and a bad value is a usage error of `pypvm-tx emulator`."""
    args = cli.build_parser().parse_args(
        ["emulator", "--lpars", "3", "--port", "0", "--latency", "0.5"])
    assert (args.command, args.lpars, args.port, args.latency) == (
        "emulator", 3, 0, 0.5)
    code, out, _err = run_in_process(capsys, "emulator", "--help")
    assert code == 0
    assert "pypvm-tx emulator" in out and "--certfile" in out
    code, _out, err = run_in_process(capsys, "emulator", "--lpars", "99999")
    assert code == cli.EXIT_USAGE
    assert "pypvm-tx emulator: error: argument --lpars" in err


def test_e3_demo_shows_library_warnings_only_when_verbose():
    """E3: the conflicts the demo provokes are logged as warnings; they
    reach stderr with --verbose only."""
    argv = ("demo", "--lpars", "3", "--vioses", "0", "--conflict-rate", "1")
    quiet, loud = run_cli(*argv), run_cli(*argv, "--verbose")
    assert quiet.returncode == loud.returncode == 0, quiet.stderr
    assert "Etag mismatch" not in quiet.stderr
    assert "Etag mismatch" in loud.stderr


def test_e3_demo_hands_its_counter_to_the_session_as_event_hooks(
        monkeypatch):
    """E3 (issue 8 scope 4, 6): where Session takes event_hooks, the demo
    passes its counter's hooks and replaces no method on the Session."""
    from pypvm_tx import adapter as adp
    from pypvm_tx import demo

    given = []

    class HookedSession(adp.Session):
        def __init__(self, *args, event_hooks=None, **kwargs):
            given.append(event_hooks)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(adp, "Session", HookedSession)
    args = cli.build_parser().parse_args(["demo", "--lpars", "1",
                                          "--vioses", "0", "--json"])
    run = demo.Demo(args, demo.Display(json_mode=True))
    try:
        run.connect()
        assert given == [{"request": [run.counter.on_request],
                          "response": [run.counter.on_response]}]
        assert "request" not in vars(run.adapter.session)
    finally:
        run.close()


# -- what a newcomer hit (issue 7 scope 8) --------------------------------------

@pytest.mark.parametrize("option, limit", [
    ("--lpars", "MAX_LPARS"), ("--vioses", "MAX_VIOSES")])
def test_e3_demo_counts_are_bounded(capsys, monkeypatch, option, limit):
    """E3: --lpars 1000000 is a usage error naming the limit, instead of
    a misleading XML error and a hang."""
    from pypvm_tx.testing import emulator as emu

    def no_emulator(**_kwargs):  # never seed a million LPARs here
        pytest.fail("%s 1000000 was accepted" % option)

    monkeypatch.setattr(emu, "Emulator", no_emulator)
    code, _out, err = run_in_process(capsys, "demo", option, "1000000")
    assert code == cli.EXIT_USAGE
    assert option in err and str(getattr(emu, limit)) in err


def test_e3_demo_into_a_closed_pipe_exits_quietly():
    """E3: `pypvm-tx demo --json | true`: no BrokenPipeError traceback,
    the exit status of a process whose reader went away (141)."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the demo writes
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pypvm_tx", "demo", "--lpars", "2",
             "--vioses", "0", "--json"], stdout=write_end,
            stderr=subprocess.PIPE, text=True, timeout=120,
            env=dict(os.environ, PYTHONWARNINGS="ignore"))
    finally:
        os.close(write_end)
    assert proc.returncode == cli.EXIT_BROKEN_PIPE == 141
    assert proc.stderr == ""


def test_e3_ctrl_c_while_the_emulator_seeds_exits_promptly():
    """E3: the demo says it is starting the emulator, and Ctrl-C while
    the emulator is still being seeded ends the demo (exit 130) instead
    of hanging in the emulator's stop()."""
    # A child inherits an ignored SIGINT (a shell's background job, some
    # CI runners); Python then installs no Ctrl-C handler.  Give it the
    # default disposition, as a terminal would.
    proc = subprocess.Popen(
        [sys.executable, "-m", "pypvm_tx", "demo", "--lpars", "3000",
         "--vioses", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=dict(os.environ, PYTHONWARNINGS="ignore",
                            PYTHONUNBUFFERED="1"),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first = proc.stderr.readline()
        assert first.startswith("Starting the emulator (LPARs: 3000"), first
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    rest = proc.stderr.read()
    assert "Traceback" not in rest, rest
    assert "interrupted" in rest


@pytest.fixture
def silent_server():
    """A loopback server that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.getsockname()[1]
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    server.close()


def test_e3_demo_timeout_against_a_server_that_never_answers(
        silent_server, monkeypatch):
    """E3: --timeout 1 against a server that never answers: the demo
    says what it is waiting for, then exits non-zero within seconds with
    one line naming the timeout (it used to wait 1,200 s in silence)."""
    monkeypatch.setenv("PYPVM_TX_TEST_PASSWORD", "secret")
    started = time.monotonic()
    proc = run_cli("demo", "--url", silent_server, "--user", "me",
                   "--password-env", "PYPVM_TX_TEST_PASSWORD",
                   "--timeout", "1", timeout=60)
    elapsed = time.monotonic() - started
    assert proc.returncode == cli.EXIT_FAILED, proc.stderr
    assert elapsed < 30
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert any(silent_server in line and "connecting" in line.lower()
               for line in lines[:-1]), proc.stderr
    error = lines[-1]
    assert "--timeout" in error and "1" in error, proc.stderr
    assert silent_server in error


def test_e3_demo_timeout_option_is_checked(capsys):
    """E3: --timeout must be a positive number of seconds."""
    code, _out, err = run_in_process(capsys, "demo", "--timeout", "0")
    assert code == cli.EXIT_USAGE
    assert "argument --timeout: must be at least" in err


def test_e3_demo_missing_ca_bundle_is_named_as_typed(capsys, monkeypatch,
                                                     tmp_path):
    """E3: a --ca-bundle that does not exist is reported as --ca-bundle,
    not as the library's 'verify'."""
    monkeypatch.setenv("PYPVM_TX_TEST_PASSWORD", "secret")
    missing = str(tmp_path / "no-such-ca.pem")
    code, _out, err = run_in_process(
        capsys, "demo", "--url", "https://127.0.0.1:1", "--user", "me",
        "--password-env", "PYPVM_TX_TEST_PASSWORD", "--ca-bundle", missing)
    assert code == cli.EXIT_USAGE
    assert "--ca-bundle" in err and missing in err
    assert "verify" not in err


def test_e3_demo_tls_error_names_ca_bundle(capsys, monkeypatch, tmp_path):
    """E3: a server certificate the --ca-bundle does not trust: the
    error tells the user to check --ca-bundle, in the option's words."""
    from pypvm_tx.testing.emulator import Emulator
    from tests.functional.test_tls import self_signed

    for name in ("server", "other"):
        (tmp_path / name).mkdir()
    server_cert = self_signed(tmp_path / "server", "127.0.0.1",
                              ip="127.0.0.1")
    other_ca, _key = self_signed(tmp_path / "other", "other-ca")
    monkeypatch.setenv("PYPVM_TX_TEST_PASSWORD", "abc123")
    with Emulator(lpars=1, certfile=server_cert[0],
                  keyfile=server_cert[1]) as url:
        code, _out, err = run_in_process(
            capsys, "demo", "--url", url, "--user", "hscroot",
            "--password-env", "PYPVM_TX_TEST_PASSWORD", "--ca-bundle",
            other_ca, "--timeout", "10")
    assert code == cli.EXIT_FAILED
    assert "--ca-bundle" in err
    assert "'verify'" not in err and "verify=" not in err
