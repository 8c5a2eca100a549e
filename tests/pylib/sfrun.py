"""Helpers for synfront's DPDK and e2e tests: run the appliance, read its counters.

Tests are plain scripts: exit 0 on success, 77 to skip, anything else fails.
Each check prints one line, so a failing run's log says what broke.
"""
import os
import re
import signal
import subprocess
import sys
import time

SKIP = 77


class Checks:
    """Count assertions; fail the script at the end if any failed."""

    def __init__(self, name):
        self.name = name
        self.failed = 0
        self.passed = 0

    def check(self, cond, what):
        print(("ok     " if cond else "FAILED ") + what, flush=True)
        if cond:
            self.passed += 1
        else:
            self.failed += 1
        return cond

    def eq(self, got, want, what):
        return self.check(got == want, f"{what}: got {got!r}, want {want!r}")

    def ge(self, got, want, what):
        return self.check(got is not None and got >= want, f"{what}: got {got!r}, want >= {want!r}")

    def done(self):
        print(f"{self.name}: {self.passed} checks passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed or not self.passed else 0)


def need_root():
    if os.geteuid() != 0:
        print("skipped: needs root (network namespaces, DPDK vdevs)")
        sys.exit(SKIP)


def parse_counters(text):
    """The 'final counters' block synfront prints at shutdown -> {name: value}."""
    out = {}
    if "final counters" not in text:
        return out
    for line in text.split("final counters", 1)[1].splitlines():
        m = re.match(r"^([a-z0-9_]+)\s+(\d+)$", line.strip())
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


class Appliance:
    """synfront as a child process, stopped with SIGINT like an operator would."""

    def __init__(self, binary, eal, conf, log_path):
        self.cmd = [binary] + eal + ["--", "-c", conf]
        self.log_path = log_path
        self.proc = None
        self.output = ""

    def start(self, timeout=30):
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            time.sleep(0.2)
            text = open(self.log_path).read()
            if "ready:" in text:
                return True
            if self.proc.poll() is not None:
                break
        print(open(self.log_path).read())
        return False

    def stop(self, timeout=20):
        if self.proc is None:
            return {}
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.output = open(self.log_path).read()
        return parse_counters(self.output)
