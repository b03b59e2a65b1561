#!/usr/bin/env bash
# The rooms of gisd/, from the bottom up: a file may include the headers of
# its own room and of the rooms on lower levels, never of a room beside or
# above it. Prints each include that goes against the order; exits 1 if any.
set -u
cd "$(dirname "$0")/.."
declare -A level=([core]=0 [query]=1 [store]=2 [edit]=3 [tiles]=3 [importers]=3 [geom]=3
                  [network]=4 [analysis]=5 [optimize]=6 [report]=7 [catalog]=8 [http]=9 [cli]=10)
declare -A home
for d in gisd/*/ importers/; do
  room=$(basename "$d")
  [ "$room" = proto ] && continue
  [ -n "${level[$room]+x}" ] || { echo "rooms.sh: $d is no room of the order; give it a level"; exit 1; }
  for h in "$d"*.h; do [ -e "$h" ] && home[$(basename "$h")]=$room; done
done
bad=0
for d in gisd/*/ importers/; do
  room=$(basename "$d")
  [ "$room" = proto ] && continue
  for f in "$d"*.c "$d"*.h; do
    [ -e "$f" ] || continue
    while IFS= read -r inc; do
      to=${home[$inc]:-}
      [ -z "$to" ] || [ "$to" = "$room" ] && continue
      if [ "${level[$to]}" -ge "${level[$room]}" ]; then
        echo "$f includes $inc: $room (level ${level[$room]}) may not reach $to (level ${level[$to]})"
        bad=1
      fi
    done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
  done
done
[ $bad = 0 ] && echo "rooms: every include goes down the order"
exit $bad
