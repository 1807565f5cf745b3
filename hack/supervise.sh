#!/usr/bin/env bash
# Runs a command and ends it when the given parent process is gone, so an interrupted or killed
# test run (even kill -9) never leaves etcd, kube-apiserver, moto or our own processes behind.
#   usage: supervise.sh PARENT_PID command [args...]
parent="$1"; shift
"$@" &
child=$!
stop() { kill -TERM "$child" 2>/dev/null; for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$child" 2>/dev/null || exit 0; sleep 0.3; done; kill -KILL "$child" 2>/dev/null; exit 0; }
trap stop TERM INT HUP
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.5; done
if kill -0 "$child" 2>/dev/null; then stop; fi
wait "$child"
