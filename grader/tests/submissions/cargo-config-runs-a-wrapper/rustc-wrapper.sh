#!/bin/sh
# Hostile: writes outside every folder the grade gives it, where it can, then
# runs rustc as asked.
echo "ran: $*" >> /var/tmp/lab-grader-test-planted 2>/dev/null
exec "$@"
