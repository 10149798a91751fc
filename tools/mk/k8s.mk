# Kubernetes: render both overlays and validate them offline against the Kubernetes schemas
# (docs/kubernetes.md). No cluster runs here; the policy suite is `make test-k8s`.

KUBECTL ?= kubectl
KUBERNETES_VALIDATE := $(CURDIR)/.venv/bin/kubernetes-validate
K8S_OVERLAYS := local production
# the schemas kubernetes-validate ships; the manifests use nothing newer than 1.29's API
K8S_VERSION ?= 1.32.0

tests_k8s := deploy/k8s/tests
pkg_k8s := inkwell_devstack.k8s

.PHONY: lint-k8s k8s-render
lint: lint-k8s

lint-k8s: ## render deploy/k8s's overlays (kubectl kustomize) and validate them offline, strict
	@command -v $(KUBECTL) >/dev/null || { echo "kubectl is missing (it renders the overlays)"; exit 1; }
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for overlay in $(K8S_OVERLAYS); do \
	  echo "kubectl kustomize deploy/k8s/overlays/$$overlay | kubernetes-validate --strict"; \
	  $(KUBECTL) kustomize deploy/k8s/overlays/$$overlay > "$$tmp/$$overlay.yaml"; \
	  $(KUBERNETES_VALIDATE) --strict --quiet -k $(K8S_VERSION) "$$tmp/$$overlay.yaml"; \
	done

k8s-render: ## print an overlay's manifests: make k8s-render OVERLAY=local
	@$(KUBECTL) kustomize deploy/k8s/overlays/$(or $(OVERLAY),local)
