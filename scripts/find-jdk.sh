#!/bin/sh
# Prints the home of a JDK >= 25 (JAVA_HOME if it qualifies, else the known install paths), or explains and fails.
want=25
version_of() { "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1; }
for home in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 \
            /usr/lib/jvm/java-25-openjdk-amd64 /usr/lib/jvm/temurin-2[5-9]* /usr/lib/jvm/java-2[5-9]-openjdk*; do
  [ -n "$home" ] && [ -x "$home/bin/javac" ] || continue
  v=$(version_of "$home")
  if [ -n "$v" ] && [ "$v" -ge "$want" ]; then echo "$home"; exit 0; fi
done
echo "iotrace: no JDK $want or newer found (JAVA_HOME=${JAVA_HOME:-unset}); install Temurin 25 at /usr/lib/jvm/temurin-25-jdk-amd64 or set JAVA_HOME" >&2
exit 1
