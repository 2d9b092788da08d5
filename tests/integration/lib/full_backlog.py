"""A TCP port on 127.0.0.1 that does not answer a connect: a listener whose accept queue is
full, so the kernel drops further SYNs (the client sees silence, as from a firewall that drops,
not a refusal). Usage: full_backlog.py PORT_FILE; runs until killed.

Checks its own claim first: a probe connect must stay unanswered for 1 s."""
import socket
import sys
import time

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(0)
port = listener.getsockname()[1]
held = []
for _ in range(4):  # fills the queue (backlog 0 holds one; the rest wait in SYN retries)
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    held.append(c)
time.sleep(0.3)
probe = socket.socket()
probe.settimeout(1)
try:
    probe.connect(("127.0.0.1", port))
    sys.exit("full_backlog: a probe connect was answered; the queue is not full")
except socket.timeout:
    pass
probe.close()
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(f"{port}\n")
import os

os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    time.sleep(3600)
