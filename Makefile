# iotrace top-level build. `make` builds everything, `make demo` traces the sample program, `make test` runs
# every test. The JDK (25+) is located by scripts/find-jdk.sh; build tools are installed by scripts/setup.sh.

JAVA_HOME := $(shell scripts/find-jdk.sh)
export JAVA_HOME
JAVA      := $(JAVA_HOME)/bin/java
MVN       := mvn -B -Diotrace.home=$(CURDIR)
LAUNCHER  := native-shim/build/iotrace-collector
AOT_CACHE := $(CURDIR)/tracer-core/target/iotrace-collector.aot
CLI       := bin/iotrace

.PHONY: all setup native java launcher test-programs test demo clean
all: setup native java launcher test-programs

setup:
	@scripts/setup.sh

# the wrapper generator of the shim parses functions.tbl with tracer-core's FunctionTable: Java is built first
native: setup java
	$(MAKE) -C native-shim JAVA=$(JAVA) CORE_CLASSES=$(CURDIR)/tracer-core/target/classes
	$(MAKE) -C ptrace-fallback

test-programs: setup
	$(MAKE) -C test-programs

java: setup
	$(MVN) -q -DskipTests package

# The collector JVM that the shim spawns (a script beside libiotrace_shared.so) and the iotrace command (bin/iotrace),
# both with the JDK and classpath fixed; the collector's AOT cache is trained again whenever a jar of its classpath
# is newer (the JVM refuses a cache made for other jars).
launcher: java native
	@scripts/make-launcher.sh "$(JAVA)" "$(CURDIR)" > $(LAUNCHER).tmp && chmod 755 $(LAUNCHER).tmp && mv $(LAUNCHER).tmp $(LAUNCHER)
	@if [ ! -e $(AOT_CACHE) ] || [ -n "$$(find tracer-core/target/tracer-core.jar tracer-core/target/lib -newer $(AOT_CACHE))" ] || \
	    [ $(JAVA) -nt $(AOT_CACHE) ] || [ scripts/make-launcher.sh -nt $(AOT_CACHE) ]; then \
	  scripts/train-collector.sh "$(JAVA)" "$(CURDIR)" $(AOT_CACHE); fi
	@mkdir -p bin && scripts/make-cli.sh "$(JAVA)" "$(CURDIR)" > $(CLI).tmp && chmod 755 $(CLI).tmp && mv $(CLI).tmp $(CLI)

# not quiet: Surefire's per-class and total "Tests run" lines are the test report
test: all
	$(MVN) verify

demo: all
	@scripts/demo.sh

clean:
	$(MAKE) -C native-shim clean
	$(MAKE) -C ptrace-fallback clean
	$(MAKE) -C test-programs clean
	$(MVN) clean
