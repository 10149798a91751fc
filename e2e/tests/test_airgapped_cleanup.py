"""The air-gapped run's teardown undoes only what its dockerd added to the host's network
(deploy/airgapped/lib/engine.sh: snapshot_network, restore_network), checked against fake
`iptables`, `ip6tables` and `ip` that keep their state in files: rules, chains, policies and
bridges that were there before, or that another program adds meanwhile, stay. Fast; no root,
no docker, the host's real tables untouched."""

import os
import subprocess
from pathlib import Path

import pytest

from inkwell_devstack.config import find_root

ROOT = find_root()

# iptables / ip6tables (-t T -S [CHAIN] | -A | -D | -N | -F | -X | -P) on $FAKE_NET/<tool>-<table>,
# a file in `iptables -S`'s own format; ip (link show|delete, -o link show type bridge) on
# $FAKE_NET/bridges. Bash, not Python: a test makes ~100 calls.
FAKE = r"""#!/usr/bin/env bash
set -euo pipefail
tool=$(basename "$0")
if [ "$tool" = ip ]; then
  bridges=$FAKE_NET/bridges
  case "$*" in
    "-o link show type bridge") awk '{print NR + 2 ": " $0 ": <BROADCAST> mtu 1500"}' "$bridges" ;;
    "link show "*) grep -qxF -- "$3" "$bridges" ;;
    "link delete "*) { grep -vxF -- "$3" "$bridges" || true; } >"$bridges.new"
                     mv "$bridges.new" "$bridges" ;;
    *) echo "fake ip: $*" >&2; exit 2 ;;
  esac
  exit 0
fi
[ "$1" = -t ] || { echo "fake $tool: $*" >&2; exit 2; }
file=$FAKE_NET/$tool-$2 op=$3
shift 3
if [ ! -f "$file" ]; then # a table nobody touched: its built-in chains, accepting
  case $file in
    *-nat) printf -- '-P %s ACCEPT\n' PREROUTING INPUT OUTPUT POSTROUTING >"$file" ;;
    *) printf -- '-P %s ACCEPT\n' INPUT FORWARD OUTPUT >"$file" ;;
  esac
fi
rewrite() { "$@" "$file" >"$file.new" || true; mv "$file.new" "$file"; }
case $op in
  -S) # policies, then chains, then rules (in order), as iptables lists them
    for kind in -P -N -A; do
      awk -v k="$kind" -v c="${1:-}" '$1 == k && (c == "" || $2 == c)' "$file"
    done ;;
  -A) echo "-A $*" >>"$file" ;;
  -N) echo "-N $1" >>"$file" ;;
  -D) grep -qxF -- "-A $*" "$file" || { echo "$tool: Bad rule: -A $*" >&2; exit 1; }
      rewrite awk -v r="-A $*" '$0 != r || done++' ;;
  -F) rewrite awk -v c="$1" '!($1 == "-A" && $2 == c)' ;;
  -X) if awk -v c="$1" '$1 == "-A" && ($2 == c || $0 ~ "-j " c "$")' "$file" | grep -q .; then
        echo "$tool: chain $1 is not empty or still referenced" >&2; exit 1
      fi
      rewrite grep -vxF -- "-N $1" ;;
  -P) rewrite awk -v c="$1" -v p="$2" '$1 == "-P" && $2 == c {$3 = p} {print}' ;;
  *) echo "fake $tool: $op $*" >&2; exit 2 ;;
esac
"""

# what dockerd 20.10 added on this machine (iptables -S after its start), plus a compose network
DOCKERD_ADDS = {
    "filter": [
        "-P FORWARD DROP",
        "-N DOCKER",
        "-N DOCKER-ISOLATION-STAGE-1",
        "-N DOCKER-ISOLATION-STAGE-2",
        "-N DOCKER-USER",
        "-A FORWARD -j DOCKER-USER",
        "-A FORWARD -j DOCKER-ISOLATION-STAGE-1",
        "-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "-A FORWARD -o docker0 -j DOCKER",
        "-A FORWARD -i docker0 ! -o docker0 -j ACCEPT",
        "-A FORWARD -o br-0123456789ab -j DOCKER",
        "-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2",
        "-A DOCKER-ISOLATION-STAGE-1 -j RETURN",
        "-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP",
        "-A DOCKER-ISOLATION-STAGE-2 -j RETURN",
        "-A DOCKER-USER -j RETURN",
    ],
    "nat": [
        "-N DOCKER",
        "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
        "-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER",
        "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
        "-A POSTROUTING -s 172.18.0.0/16 ! -o br-0123456789ab -j MASQUERADE",
        "-A DOCKER -i docker0 -j RETURN",
    ],
}
DOCKERD_BRIDGES = ["docker0", "br-0123456789ab"]

# the host before: someone's fail2ban chain, an LXC bridge and its masquerading
BEFORE = {
    "iptables-filter": [
        "-P INPUT ACCEPT",
        "-P FORWARD ACCEPT",
        "-P OUTPUT ACCEPT",
        "-N f2b-sshd",
        "-A INPUT -p tcp -m tcp --dport 22 -j f2b-sshd",
        "-A f2b-sshd -j RETURN",
    ],
    "iptables-nat": [
        "-P PREROUTING ACCEPT",
        "-P INPUT ACCEPT",
        "-P OUTPUT ACCEPT",
        "-P POSTROUTING ACCEPT",
        "-A POSTROUTING -s 10.0.3.0/24 ! -d 10.0.3.0/24 -j MASQUERADE",
    ],
    "bridges": ["lxcbr0"],
}


@pytest.fixture
def net(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "iptables"
    fake.write_text(FAKE)
    fake.chmod(0o755)
    for other in ("ip6tables", "ip"):
        (bin_dir / other).symlink_to(fake)
    state = tmp_path / "net"
    state.mkdir()
    for name, lines in BEFORE.items():
        (state / name).write_text("".join(f"{line}\n" for line in lines))
    (tmp_path / "ip_forward").write_text("0\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_NET", str(state))
    monkeypatch.setenv("AIRGAPPED_TEST_IP_FORWARD", str(tmp_path / "ip_forward"))
    return tmp_path


def sh(*commands: str) -> None:
    """Commands with engine.sh sourced, under run.sh's own shell options."""
    script = "\n".join(
        [
            "set -Eeuo pipefail",
            ". deploy/airgapped/lib/output.sh",
            ". deploy/airgapped/lib/engine.sh",
            *commands,
        ]
    )
    subprocess.run(["bash", "-c", script], cwd=ROOT, check=True)


def host(net: Path) -> dict[str, list[str]]:
    """iptables' tables and the bridges as they are now (ip6tables' are never touched here)."""
    return {
        name: (net / "net" / name).read_text().splitlines()
        for name in ("iptables-filter", "iptables-nat", "bridges")
    }


def dockerd_runs(net: Path, *others_meanwhile: str) -> None:
    """What dockerd does to the host, and what other programs do meanwhile."""
    commands = [
        f"iptables -t {table} {line}" for table, lines in DOCKERD_ADDS.items() for line in lines
    ]
    commands += [f"echo {name} >>$FAKE_NET/bridges" for name in DOCKERD_BRIDGES]
    commands += ['echo 1 >"$AIRGAPPED_TEST_IP_FORWARD"', *others_meanwhile]
    sh(*commands)


@pytest.mark.parametrize("engine_listed_its_bridges", [True, False])
def test_the_teardown_removes_exactly_what_dockerd_added(
    net: Path, engine_listed_its_bridges: bool
) -> None:
    sh(f"snapshot_network {net}/host")
    dockerd_runs(net)
    assert host(net) != BEFORE
    if engine_listed_its_bridges:  # stop_engine asks the engine; a dead engine cannot answer
        (net / "host/engine-bridges").write_text("".join(f"{b}\n" for b in DOCKERD_BRIDGES))
    sh(f"restore_network {net}/host")
    assert host(net) == BEFORE
    assert (net / "ip_forward").read_text() == "0\n"
    assert not (net / "net/ip6tables-filter").read_text().count("-A ")


def test_what_others_add_meanwhile_stays(net: Path) -> None:
    sh(f"snapshot_network {net}/host")
    dockerd_runs(
        net,
        "iptables -t filter -A INPUT -s 192.0.2.1 -j DROP",
        "iptables -t nat -A POSTROUTING -s 10.0.4.0/24 -j MASQUERADE",
        "echo virbr0 >>$FAKE_NET/bridges",
    )
    sh(f"restore_network {net}/host")
    assert host(net) == {
        "iptables-filter": [*BEFORE["iptables-filter"], "-A INPUT -s 192.0.2.1 -j DROP"],
        "iptables-nat": [*BEFORE["iptables-nat"], "-A POSTROUTING -s 10.0.4.0/24 -j MASQUERADE"],
        "bridges": ["lxcbr0", "virbr0"],
    }


def test_docker_rules_that_were_there_before_stay(net: Path) -> None:
    """Another engine's chains, rules and docker0 (there before this run's dockerd started)."""
    sh(
        "iptables -t filter -N DOCKER",
        "iptables -t filter -A FORWARD -o docker0 -j DOCKER",
        "echo docker0 >>$FAKE_NET/bridges",
    )
    before = host(net)
    sh(f"snapshot_network {net}/host")
    sh(
        "iptables -t filter -A DOCKER -d 172.17.0.2/32 -p tcp -j ACCEPT",
        "echo br-0123456789ab >>$FAKE_NET/bridges",
    )
    (net / "host/engine-bridges").write_text("docker0\nbr-0123456789ab\n")
    sh(f"restore_network {net}/host")
    assert host(net) == before
