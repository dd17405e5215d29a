#!/bin/sh
# Issue 12 item 3: a queue run's memory does not grow with the replies
# and by at most 100 octets a recipient (once 2 KB a recipient: 218 MB
# of peak RSS for 100,000). 20,000 recipients here; make bench measures
# 100,000 (tests/bench/rcpt_rss.sh, figure in the README).
RCPTS=${RCPTS:-20000} exec sh "$(dirname "$0")/../bench/rcpt_rss.sh"
