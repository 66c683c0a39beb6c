#!/bin/sh
# Buy a concert ticket from boxofficed with nothing but the shell and
# boxoffice-call(1), which sends one JSON request and prints a field of the
# reply.
#
#   sh examples/buy_ticket.sh [ENDPOINT]
#
# BOXOFFICE_CALL names the tool if it is not on PATH.
set -eu
endpoint=${1:-tcp://127.0.0.1:5555}
call() { "${BOXOFFICE_CALL:-boxoffice-call}" -e "$endpoint" "$@"; }

user=$(call -f user_id '{"op":"user.create","name":"shell buyer"}')
token=$(call -f token "{\"op\":\"queue.enter\",\"user_id\":$user}")
# Ask about once a second: a waiter silent for abandon-after seconds
# (default 60) is dropped from the line and its token expires.
while status=$(call -f status "{\"op\":\"queue.status\",\"user_id\":$user,\"token\":\"$token\"}") &&
    [ "$status" = wait ]; do
    sleep 1
done
[ "$status" = active ] || { echo "user $user was not admitted: token $status" >&2; exit 1; }
echo "user $user admitted"

# The first free seat of show 1 (the demo data's first open show).
schedule=${SCHEDULE:-1}
seat=$(call -f free "{\"op\":\"concert.seats\",\"user_id\":$user,\"token\":\"$token\",\"schedule_id\":$schedule}" |
    sed 's/^\[\([0-9]*\).*/\1/')
[ -n "$seat" ] || { echo "show $schedule has no free seat" >&2; exit 1; }

hold=$(call "{\"op\":\"seat.reserve\",\"user_id\":$user,\"token\":\"$token\",\"schedule_id\":$schedule,\"seat_number\":$seat}") ||
    { echo "cannot hold seat $seat: $hold" >&2; exit 1; }
reservation=$(echo "$hold" | sed 's/.*"reservation_id":\([0-9]*\).*/\1/')
price=$(echo "$hold" | sed 's/.*"price":\([0-9]*\).*/\1/')
echo "holding seat $seat (reservation $reservation) for $price points"

call -f point "{\"op\":\"point.charge\",\"user_id\":$user,\"amount\":$price,\"request_id\":\"charge-$reservation\"}" >/dev/null
status=$(call -f reservation_status "{\"op\":\"payment.pay\",\"user_id\":$user,\"token\":\"$token\",\"reservation_id\":$reservation,\"request_id\":\"pay-$reservation\"}")
echo "reservation $reservation is $status"
