"""Agents for a thousand pods without a thousand processes: one thread that
plays every agent of a fleet against the real lease table, by the protocol of
docs/protocol.md, with the very Lua scripts RedisLeaseStore runs (read from
controller/sources/lease/redis_lease_scripts.h, so they cannot drift).

Each tick it reads the pods' shard annotations from a PodWatch and does what
each pod's agent would: release a lease whose shard its own pod no longer
lists, try the shards its pod lists (only once the pod is Ready, as an agent
starts then; a lease still held elsewhere is refused and tried next tick),
and renew what it holds. A hand-over therefore takes at least one tick, as a
real agent's does."""
import os
import re
import socket
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS_H = os.path.join(HERE, "..", "..", "..", "..", "controller", "sources", "lease",
                         "redis_lease_scripts.h")


def load_scripts(path=SCRIPTS_H):
    """{'acquire': lua, 'renew': lua, 'release': lua} from the C++ header."""
    with open(path) as f:
        text = f.read()
    literal = re.compile(r'"((?:[^"\\]|\\.)*)"')

    def unescape(s):
        return s.encode().decode("unicode_escape")

    prelude_block = text.split("#define AGENTFLEET_LEASE_LUA_PRELUDE", 1)[1].split("\n\n", 1)[0]
    prelude = "".join(unescape(m) for m in literal.findall(prelude_block))
    out = {}
    for name in ("Acquire", "Renew", "Release"):
        block = text.split(f"k{name} = AGENTFLEET_LEASE_LUA_PRELUDE", 1)[1].split(";\n", 1)[0]
        out[name.lower()] = prelude + "".join(unescape(m) for m in literal.findall(block))
    return out


class Resp:
    """The least of a Redis client: pipelined commands over one socket."""

    def __init__(self, port, user, password):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""
        self.pipeline([["AUTH", user, password]])

    def pipeline(self, commands):
        out = bytearray()
        for args in commands:
            out += b"*%d\r\n" % len(args)
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        replies = [self._reply() for _ in commands]
        for r in replies:
            if isinstance(r, RuntimeError):
                raise r
        return replies

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("Redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                chunk = self.sock.recv(1 << 16)
                if not chunk:
                    raise ConnectionError("Redis closed the connection")
                self.buf += chunk
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError(f"unexpected reply {line[:40]!r}")

    def close(self):
        self.sock.close()


class LeaseSimulator(threading.Thread):
    def __init__(self, pods, port, user, password, key, ttl_s, tick_s=0.5):
        super().__init__(daemon=True)
        self.pods = pods  # a PodWatch: snapshot() -> {name: PodState}
        self.port, self.user, self.password = port, user, password
        self.key, self.ttl_ms, self.tick_s = key, int(ttl_s * 1000), tick_s
        self.scripts = load_scripts()
        self.held = {}  # shard -> (pod, token)
        self.last_holder = {}  # shard -> pod that held it last
        self.moves = 0  # a shard taken by a pod other than its last holder
        self.moved = {}  # shard -> moves since reset_moves()
        self.refused = 0  # acquires refused (the lease was still someone else's)
        self.last_renew = 0.0
        # Held across a tick's releases and acquires, so that holders() never
        # sees a shard between its release and its taking in the same tick.
        self.lock = threading.RLock()
        self.stop = threading.Event()
        self.error = None
        self.ticks = 0

    def holders(self):
        with self.lock:
            return {s: p for s, (p, _) in self.held.items()}

    def reset_moves(self):
        with self.lock:
            self.moves = 0
            self.moved = {}

    def run(self):
        try:
            self.redis = Resp(self.port, self.user, self.password)
            while not self.stop.is_set():
                self.tick()
                self.stop.wait(self.tick_s)
        except Exception as e:  # reported by the main thread
            self.error = e

    def _eval(self, script, args_by_holder):
        cmds = [["EVAL", self.scripts[script], 1, self.key, *args] for args in args_by_holder]
        return self.redis.pipeline(cmds) if cmds else []

    def tick(self):
        pods = self.pods.snapshot()
        with self.lock:
            self._hand_over(pods)
        self._renew()
        self.ticks += 1

    def _hand_over(self, pods):
        def serving(name):
            p = pods.get(name)
            return p is not None and p.ready and not p.deleting

        # Releases: an agent lets go of a shard its own pod no longer lists
        # (or its pod is going), as a real agent reading its annotation does.
        release = {}
        for s, (pod, token) in self.held.items():
            if not serving(pod) or s not in pods[pod].shards:
                release.setdefault(pod, []).extend([s, token])
        self._eval("release", [[f"{p}/sim", *a] for p, a in release.items()])
        for a in release.values():  # released, or no longer ours to release
            for s in a[::2]:
                self.held.pop(s, None)
        # Acquires: a Ready pod's agent tries the shards it lists and does not
        # hold; one still held by its old owner is refused and tried next tick.
        acquire = {}
        for name, p in pods.items():
            if serving(name):
                mine = [s for s in p.shards if self.held.get(s, (None,))[0] != name]
                if mine:
                    acquire[name] = mine
        for pod, reply in zip(acquire, self._eval(
                "acquire", [[f"{p}/sim", self.ttl_ms, *ss] for p, ss in acquire.items()])):
            for s, entry in zip(acquire[pod], reply[1]):
                if entry[0] != 1:
                    self.refused += 1
                    continue
                self.held[s] = (pod, entry[2])
                last = self.last_holder.get(s)
                if last is not None and last != pod:
                    self.moves += 1
                    self.moved[s] = self.moved.get(s, 0) + 1
                self.last_holder[s] = pod

    def _renew(self):
        # Renewals, every third of the lease duration.
        now = time.time()
        if now - self.last_renew >= self.ttl_ms / 3000:
            self.last_renew = now
            renew = {}
            for s, (pod, token) in self.held.items():
                renew.setdefault(pod, []).extend([s, token])
            for pod, reply in zip(renew, self._eval(
                    "renew", [[f"{p}/sim", self.ttl_ms, *a] for p, a in renew.items()])):
                for s, entry in zip(renew[pod][::2], reply[1]):
                    if entry[0] != 1:  # lost it (expired): a real agent stops working it
                        with self.lock:
                            self.held.pop(s, None)
