# make run   : the embedded default (SQLite, in-memory channel layer, eager Celery) with demo data
# make test  : the whole suite (tests needing PostgreSQL/Redis/Chromium skip with a reason unless configured)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run test fuzz install install-dev migrate seed lint format messages worker beat clean bench-load bench-console bench-answer-path bench-psychometrics bench-search bench-scoring bench-records drills

$(VENV)/.installed: requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed: set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@echo ""
	@echo "  Exam engine on http://$(HOST):$(PORT)/"
	@echo "    students : http://$(HOST):$(PORT)/exam/     student01 .. student40 / demo"
	@echo "    board    : http://$(HOST):$(PORT)/board/    board / demo (the mock exam that just closed: marking, review, publication)"
	@echo "    markers  : http://$(HOST):$(PORT)/marking/  teacher2, teacher3 / demo"
	@echo "    teachers : http://$(HOST):$(PORT)/bank/     teacher / demo (item bank; /assessments/ for quizzes and forms)"
	@echo "    proctor  : http://$(HOST):$(PORT)/accounts/locked/  proctor / demo (locked accounts)"
	@echo "    school   : http://$(HOST):$(PORT)/people/   schooladmin / demo (classes, roster import)"
	@echo "    admin    : http://$(HOST):$(PORT)/admin/    admin / demo (platform administrator)"
	@echo "    REST API : http://$(HOST):$(PORT)/api/docs/ any staff login (schema: /api/schema/)"
	@echo "    health   : http://$(HOST):$(PORT)/healthz"
	@echo ""
	$(PY) -m config.serve --port $(PORT) --host $(HOST)

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

# The REST API fuzzed from its OpenAPI schema as every role, longer than `make test` does it:
# more examples per operation, and the coverage phase (boundary values of every parameter).
FUZZ_EXAMPLES ?= 50
FUZZ_PHASES ?= examples,coverage,fuzzing
fuzz: install-dev
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_PHASES=$(FUZZ_PHASES) $(PY) -m pytest -m fuzz $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m mypy

# Benchmarks (bench/RESULTS.md). The psychometrics peers (girth, mirt) are installed only
# into a venv of their own, never into the project's.
PEERS_VENV ?= .venv-peers
# The delivery load generator: the engine beside the raw reference stack (bench/reference) in
# one run, every figure as a ratio to the reference's (needs DATABASE_URL to PostgreSQL and
# REDIS_URL; BENCH_ARGS="--target engine" alone runs on the embedded default). BENCH_ARGS="--mode open --students 10000 --interval 10 --seconds 60", or
# --mode storm / idle / closed: see `python -m bench.load --help`.
bench-load: install-dev
	$(PY) -m bench.load $(BENCH_ARGS)

# Live proctor consoles while 2,000 candidates answer (needs DATABASE_URL and REDIS_URL).
bench-console: install-dev
	$(PY) bench/console.py $(BENCH_ARGS)

# One candidate's connect, start and answers in one thread: the path itself, without a server.
bench-answer-path: install-dev
	$(PY) bench/answer_path.py $(BENCH_ARGS)

$(PEERS_VENV)/.installed: requirements.txt bench/requirements-peers.txt
	test -x $(PEERS_VENV)/bin/python || $(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install --quiet -r requirements.txt -r bench/requirements-peers.txt
	touch $@

bench-psychometrics: $(PEERS_VENV)/.installed
	$(PEERS_VENV)/bin/python bench/psychometrics.py $(BENCH_ARGS)

# Bank search over 100,000 items; needs DATABASE_URL to a PostgreSQL server (it uses a
# database of its own there, bench_search, created and filled on the first run).
bench-search: install-dev
	@test -n "$(DATABASE_URL)" || { echo "bench-search needs DATABASE_URL=postgresql://..."; exit 1; }
	$(PY) bench/bank_search.py $(BENCH_ARGS)

# Scoring a sitting of 100,000 attempts x 40 items on 2 Celery workers, then a rescore after a
# re-key (needs DATABASE_URL to a PostgreSQL server, which gets a database assess_bench_pipeline,
# and REDIS_URL, the broker; BENCH_ARGS="--attempts 10000" for a short run).
bench-scoring: install-dev
	@test -n "$(DATABASE_URL)" -a -n "$(REDIS_URL)" || { echo "bench-scoring needs DATABASE_URL=postgresql://... and REDIS_URL=redis://..."; exit 1; }
	$(PY) bench/scoring_pipeline.py $(BENCH_ARGS)

# The semester records of a school of 2,000 students x 12 subjects (Circular 22), on PostgreSQL.
bench-records: install-dev
	@test -n "$(DATABASE_URL)" || { echo "bench-records needs DATABASE_URL=postgresql://..."; exit 1; }
	$(PY) bench/records_semester.py $(BENCH_ARGS)

# Fault drills (issue 12): a Daphne process killed, PostgreSQL and Redis restarted, a Celery worker
# killed while it scores, a network cut for CUT_SECONDS, each mid-exam; acked answers lost, duplicates,
# students resumed and their time to resume (bench/drills). Starts and restarts a PostgreSQL and a Redis
# of its own, never the machine's; DRILLS_ARGS="--only network-cut --students 50" for one drill.
CUT_SECONDS ?= 60
drills: install-dev
	$(PY) -m bench.drills --cut-seconds $(CUT_SECONDS) $(DRILLS_ARGS)

format: install-dev
	$(VENV)/bin/ruff format .

messages: install
	$(PY) manage.py makemessages -l vi -l en --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv

worker: install
	$(VENV)/bin/celery -A config worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A config beat --loglevel=INFO --schedule=var/celerybeat-schedule

clean:
	rm -rf $(VENV) var/db.sqlite3 var/test_db_*.sqlite3* var/staticfiles
