#!/bin/sh
# Runs the collector's JMH benchmarks (build first: mvn -B -Pbench -pl bench/jmh -am package -DskipTests).
# Options go to JMH, e.g. bench/jmh/run-jmh.sh -f 1 -wi 3 -i 5
dir=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$dir/../.." && pwd)
java=$("$root/scripts/find-jdk.sh")/bin/java
exec "$java" --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED \
  -cp "$dir/target/classes:$dir/target/lib/*" org.openjdk.jmh.Main "$@"
