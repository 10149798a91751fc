# Measured quality (docs/quality.md): benchmarks, fuzzing, mutation testing.

FUZZ_MAX_EXAMPLES ?= 25
MUTATION_JOBS ?= 2

.PHONY: bench bench-accounts bench-hostile bench-tracing bench-scale fuzz fuzz-ci mutation

bench: ## gateway vs direct vs nginx (wrk), 10 MiB upload RSS, suite speed -> quality/bench/results/ (BENCH_ARGS="--no-e2e")
	$(RUN) python quality/bench/run.py $(BENCH_ARGS)

bench-hostile: ## gateway and service RSS under 50 MB headers, 64 KB URLs, 200 MB bodies; slow clients cut off -> quality/bench/results/hostile.json
	$(RUN) python quality/bench/hostile.py

bench-tracing: ## p50 through the gateway: tracing absent (baseline) vs off vs on (exporting to a local OTLP receiver), interleaved rounds, a verdict line
	$(RUN) python quality/bench/tracing.py $(BENCH_TRACING_ARGS)

bench-accounts: ## login/forgot-password timing, existing vs unknown; jwks latency while 16 logins hash -> quality/bench/results/accounts.json
	$(RUN) python quality/bench/accounts.py

fuzz: ## schemathesis against every service's OpenAPI and the gateway (FUZZ_MAX_EXAMPLES per operation)
	FUZZ_MAX_EXAMPLES=$(FUZZ_MAX_EXAMPLES) $(PYTEST) quality/fuzz -p no:cacheprovider $(PYTEST_ARGS)

fuzz-ci: ## the fuzz run CI makes: bounded and repeatable (FUZZ_DETERMINISTIC=1)
	FUZZ_MAX_EXAMPLES=$(FUZZ_MAX_EXAMPLES) FUZZ_DETERMINISTIC=1 $(PYTEST) quality/fuzz -q -p no:cacheprovider $(PYTEST_ARGS)

mutation: ## mutmut on the domain modules of auth and content; score -> quality/mutation/results/ (MUTATION_ARGS=auth)
	MUTATION_JOBS=$(MUTATION_JOBS) $(RUN) python quality/mutation/run.py $(MUTATION_ARGS)

bench-scale: ## 1k/100k/1M posts and users seeded by SQL; p50/p99 service, gateway, floor -> quality/bench/results/scale.* (BENCH_SCALE_ARGS="--profile", "--drop")
	$(RUN) python quality/bench/scale.py $(BENCH_SCALE_ARGS)
