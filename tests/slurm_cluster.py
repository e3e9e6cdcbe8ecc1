"""A real one-node Slurm for integration tests (a one-node Slurm on a single CI machine).

Installs `slurm-wlm` and `munge` with apt when missing, writes /etc/slurm/slurm.conf and
gres.conf (two fake GPUs of GRES type GPU_TYPE), starts munged, slurmctld and slurmd, and tears
everything down by PID. The node is in two partitions, as on clusters whose GPUs are apart:
CPU_PARTITION (the default) and GPU_PARTITION. Needs root; refuses to touch an existing Slurm
configuration.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

SLURM_CONF = Path("/etc/slurm/slurm.conf")
GRES_CONF = Path("/etc/slurm/gres.conf")
MUNGE_PID = Path("/run/munge/munged.pid")
CPU_PARTITION, GPU_PARTITION, GPU_TYPE = "cpu", "gpu", "fake"


class SlurmUnavailable(RuntimeError):
    pass


def _run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def _install() -> None:
    if shutil.which("slurmctld") and shutil.which("munged"):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        _run(["apt-get", "update", "-qq"], env=env)
        _run(["apt-get", "install", "-y", "-qq", "slurm-wlm", "munge"], env=env)
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        raise SlurmUnavailable(f"could not install slurm-wlm and munge: {e}") from e


class OneNodeSlurm:
    def __init__(self, state_dir: Path):
        self.state = Path(state_dir)
        self.node = socket.gethostname().split(".")[0]
        self._started_munge = False

    def start(self) -> "OneNodeSlurm":
        if os.geteuid() != 0:
            raise SlurmUnavailable("starting Slurm needs root")
        if SLURM_CONF.exists() or GRES_CONF.exists():
            raise SlurmUnavailable(f"{SLURM_CONF} already exists: not touching an existing Slurm")
        _install()
        self._start_munge()
        (self.state / "state").mkdir(parents=True, exist_ok=True)
        (self.state / "spool").mkdir(parents=True, exist_ok=True)
        cpus, memory = self._node_size()
        SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SLURM_CONF.write_text(self._slurm_conf(cpus, memory))
        # Slurm drops a GPU without a device file: two harmless ones stand in.
        GRES_CONF.write_text("".join(
            f"NodeName={self.node} Name=gpu Type={GPU_TYPE} File={device}\n" for device in ("/dev/null", "/dev/zero")
        ))
        _run(["slurmctld"])
        _run(["slurmd"])
        deadline = time.time() + 60
        while time.time() < deadline:
            # one line per partition
            state = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True).stdout.split()
            if state and set(state) == {"idle"}:
                return self
            time.sleep(0.5)
        self.stop()
        raise SlurmUnavailable(f"the node did not become idle (sinfo says {state!r})")

    def _start_munge(self) -> None:
        if subprocess.run("munge -n | unmunge", shell=True, capture_output=True).returncode == 0:
            return  # already running (not ours to stop)
        Path("/run/munge").mkdir(parents=True, exist_ok=True)
        shutil.chown("/run/munge", "munge", "munge")
        _run(["runuser", "-u", "munge", "--", "/usr/sbin/munged"])
        self._started_munge = True

    def _node_size(self) -> tuple[int, int]:
        out = _run(["slurmd", "-C"]).stdout
        cpus = int(re.search(r"CPUs=(\d+)", out).group(1))
        memory = int(re.search(r"RealMemory=(\d+)", out).group(1))
        return cpus, int(memory * 0.9)

    def _slurm_conf(self, cpus: int, memory: int) -> str:
        s = self.state
        return f"""ClusterName=ci
SlurmctldHost={self.node}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={s}/state
SlurmdSpoolDir={s}/spool
SlurmctldPidFile={s}/slurmctld.pid
SlurmdPidFile={s}/slurmd.pid
SlurmctldLogFile={s}/slurmctld.log
SlurmdLogFile={s}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
GresTypes=gpu
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=300
NodeName={self.node} CPUs={cpus} RealMemory={memory} Gres=gpu:{GPU_TYPE}:2 State=UNKNOWN
PartitionName={CPU_PARTITION} Nodes={self.node} Default=YES MaxTime=INFINITE State=UP
PartitionName={GPU_PARTITION} Nodes={self.node} MaxTime=INFINITE State=UP
"""

    def stop(self) -> None:
        pid_files = [self.state / "slurmd.pid", self.state / "slurmctld.pid"]
        if self._started_munge:
            pid_files.append(MUNGE_PID)
        for pid_file in pid_files:
            try:
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            except (FileNotFoundError, ValueError, ProcessLookupError):
                pass
        for conf in (SLURM_CONF, GRES_CONF):
            conf.unlink(missing_ok=True)
