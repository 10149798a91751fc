# shellcheck shell=bash
# deploy/airgapped/run.sh: the base image every image of the run is built on. Debian trixie
# (Python 3.13) by debootstrap, plus the host's CA certificates, imported into the engine; cached
# as a tarball in CACHE_DIR, keyed by its recipe and the certificates, so later runs load it.
# Needs: output.sh, WORK, CACHE_DIR. Sets BASE_KEY and exports INKWELL_BASE_IMAGE.

SUITE=trixie
BASE_PACKAGES=python3,python3-venv,ca-certificates
BASE_RECIPE_VERSION=1 # bump to rebuild every cached base image

# the mirror apt uses here (debootstrap's default otherwise)
debian_mirror() {
  local mirror
  mirror=$(
    { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
      grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}'
    } | grep -v -- '-security' | head -1 || true
  )
  echo "${mirror:-http://deb.debian.org/debian}"
}

base_image() {
  local mirror=${DEBIAN_MIRROR:-$(debian_mirror)} tarball rootfs bundle f
  local -a ca_files=(/usr/local/share/ca-certificates/*.crt)
  [ -e "${ca_files[0]}" ] || ca_files=()
  BASE_KEY=$(
    {
      echo "recipe $BASE_RECIPE_VERSION $SUITE $BASE_PACKAGES $mirror"
      for f in "${ca_files[@]}"; do sha256sum "$f" | cut -d' ' -f1; done
    } | sha256sum | cut -c1-16
  )
  export INKWELL_BASE_IMAGE=inkwell/airgapped-base:$BASE_KEY
  tarball=$CACHE_DIR/airgapped-base-$BASE_KEY.tar
  if docker image inspect "$INKWELL_BASE_IMAGE" >/dev/null 2>&1; then
    log "$INKWELL_BASE_IMAGE is already loaded"
  elif [ -s "$tarball" ]; then
    log "loading $INKWELL_BASE_IMAGE from the cache ($tarball)"
    docker load --quiet --input "$tarball" >/dev/null
  else
    rootfs=$WORK/rootfs
    log "debootstrap $SUITE ($BASE_PACKAGES) from $mirror (a minute or two)"
    debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$rootfs" "$mirror" \
      >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log"; die "debootstrap failed"; }
    # Registries are reached through a proxy with its own certificate authority: the image trusts
    # what the host trusts (Debian's bundle plus the host's locally added certificates).
    if [ ${#ca_files[@]} -gt 0 ]; then
      mkdir -p "$rootfs/usr/local/share/ca-certificates"
      cp "${ca_files[@]}" "$rootfs/usr/local/share/ca-certificates/"
      log "trusting the host's local CA certificates: ${ca_files[*]##*/}"
    fi
    chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/*
    bundle=/etc/ssl/certs/ca-certificates.crt
    tar -C "$rootfs" -c . | docker import \
      -c "ENV LANG=C.UTF-8 SSL_CERT_FILE=$bundle PIP_CERT=$bundle REQUESTS_CA_BUNDLE=$bundle" \
      -c 'CMD ["python3"]' -m "inkwell air-gapped base: debian $SUITE minbase + $BASE_PACKAGES" \
      - "$INKWELL_BASE_IMAGE" >/dev/null
    rm -rf "$rootfs"
    rm -f "$CACHE_DIR"/airgapped-base-*.tar # one base is enough: older recipes go
    docker save --output "$tarball.partial" "$INKWELL_BASE_IMAGE" && mv "$tarball.partial" "$tarball"
    log "cached as $tarball ($(du -h "$tarball" | cut -f1))"
  fi
  log "base: $INKWELL_BASE_IMAGE ($(docker run --rm "$INKWELL_BASE_IMAGE" python3 --version))"
}
