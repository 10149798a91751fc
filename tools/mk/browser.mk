# The browser suite (e2e/tests/test_web_client.py): axe-core from npm, Chromium from Debian.
.PHONY: browser-deps screenshots

AXE := e2e/browser/node_modules/axe-core/axe.min.js

$(AXE): e2e/browser/package.json e2e/browser/package-lock.json
	npm ci --prefix e2e/browser --no-audit --no-fund
	@touch $@

browser-deps: $(AXE) ## what the browser suite needs: axe-core (npm ci); Chromium: apt-get install chromium
	@command -v chromium >/dev/null || { echo "no chromium: apt-get install -y chromium" >&2; exit 1; }

e2e: $(AXE)

screenshots: $(AXE) ## re-make the README's screenshots (docs/screenshots/) with the browser suite
	E2E_SCREENSHOT_DIR=docs/screenshots $(PYTEST) e2e/tests/test_web_client.py $(PYTEST_ARGS)
	rm -rf docs/screenshots/tests
