"""Drives the mergelang kernel through the real jupyter_client for the node tests.

Usage: driver.py SCRIPT.json  (run with /usr/bin/python3, JUPYTER_PATH pointing at the kernelspec).
SCRIPT is a list of steps; each produces one JSON record on stdout with the shell reply and the
iopub messages of that request. The kernel is always shut down, even when a step fails.
"""
import json
import os
import sys
import time
from queue import Empty

from jupyter_client.manager import KernelManager

TIMEOUT = float(os.environ.get("MERGELANG_TEST_TIMEOUT", "60"))


def strip(msg):
    return {"msg_type": msg["msg_type"], "content": msg["content"], "parent_msg_id": msg["parent_header"].get("msg_id")}


def collect(kc, msg_id, timeout=TIMEOUT, on_message=None):
    """Iopub messages of one request up to its idle status (seen as they come), then its shell reply."""
    deadline = time.time() + timeout
    iopub = []
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        iopub.append(strip(msg))
        if on_message:
            on_message(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    while True:
        msg = kc.get_shell_msg(timeout=max(0.1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") == msg_id:
            return {"reply": strip(msg), "iopub": iopub}


def run_step(km, kc, step):
    op = step["op"]
    if op == "execute":
        msg_id = kc.execute(step["code"], silent=step.get("silent", False), stop_on_error=step.get("stop_on_error", True))
        return collect(kc, msg_id, timeout=step.get("timeout", TIMEOUT))
    if op == "execute_queue":
        # Several cells sent at once: the kernel must run them one after another, in order.
        ids = [kc.execute(code, stop_on_error=step.get("stop_on_error", True)) for code in step["codes"]]
        return {"results": [collect(kc, i) for i in ids]}
    if op == "interrupt":
        # Start a long cell, interrupt it once it shows progress, then collect what it answered.
        msg_id = kc.execute(step["code"])
        state = {"sent": False}

        def on_message(msg):
            if not state["sent"] and msg["msg_type"] in ("display_data", "update_display_data"):
                state["sent"] = True
                if step.get("mode") == "message":
                    request = kc.session.msg("interrupt_request", {})
                    kc.control_channel.send(request)
                else:
                    km.interrupt_kernel()

        record = collect(kc, msg_id, timeout=step.get("timeout", TIMEOUT), on_message=on_message)
        record["interrupt_sent"] = state["sent"]
        return record
    if op == "complete":
        return collect(kc, kc.complete(step["code"], step.get("cursor_pos")))
    if op == "inspect":
        return collect(kc, kc.inspect(step["code"], step.get("cursor_pos"), step.get("detail_level", 0)))
    if op == "is_complete":
        return collect(kc, kc.is_complete(step["code"]))
    if op == "history":
        return collect(kc, kc.history(**step["args"]))
    if op == "kernel_info":
        return collect(kc, kc.kernel_info())
    if op == "comm_info":
        return collect(kc, kc.comm_info())
    raise ValueError("unknown step " + op)


def main():
    with open(sys.argv[1]) as f:
        script = json.load(f)
    km = KernelManager(kernel_name=script.get("kernel", "mergelang"))
    started = time.time()
    km.start_kernel(cwd=script.get("cwd", os.getcwd()))
    print(json.dumps({"kernel_pid": km.provisioner.process.pid}), flush=True)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=TIMEOUT)
        ready = time.time() - started
        print(json.dumps({"ready_seconds": ready}), flush=True)
        for step in script["steps"]:
            try:
                record = run_step(km, kc, step)
            except Empty:
                record = {"timeout": True}
            record["op"] = step["op"]
            print(json.dumps(record), flush=True)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=script.get("shutdown_now", False))
        print(json.dumps({"alive_after_shutdown": km.is_alive()}), flush=True)


if __name__ == "__main__":
    main()
