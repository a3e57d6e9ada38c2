# SPDX-License-Identifier: GPL-2.0-or-later
# debian/local.mk: the Debian packaging travels in the release tarball,
# so that the tarball builds the package as a clone does; `make deb`
# builds it from that tarball (dpkg-buildpackage -us -uc -b, in deb/
# under the build directory) and runs lintian on the result.
EXTRA_DIST += debian/changelog debian/control debian/copyright \
	debian/rules debian/source/format debian/driftsync.postinst \
	debian/driftsync.postrm debian/driftsync.lintian-overrides \
	debian/local.mk

deb_dir = deb
deb_changes = $(deb_dir)/$(PACKAGE)_$(VERSION)_$$(dpkg --print-architecture).changes
deb: dist-gzip
	@v=`dpkg-parsechangelog -l $(srcdir)/debian/changelog -S Version` && \
	test "$$v" = "$(VERSION)" || { \
	echo "deb: debian/changelog is at $$v, configure at $(VERSION): add a debian/changelog entry for $(VERSION)" >&2; \
	exit 1; }
	rm -rf $(deb_dir) && $(MKDIR_P) $(deb_dir)
	tar -C $(deb_dir) -xzf $(distdir).tar.gz
	cd $(deb_dir)/$(distdir) && \
	dpkg-buildpackage -us -uc -b -j$${DS_DEB_JOBS:-`nproc`} >../build.log 2>&1 || \
	{ tail -n 40 ../build.log >&2; exit 1; }
	rm -rf $(deb_dir)/$(distdir)
	lintian --fail-on error,warning $(deb_changes) >$(deb_dir)/lintian.txt 2>&1 || \
	{ cat $(deb_dir)/lintian.txt >&2; exit 1; }
	@cat $(deb_dir)/lintian.txt
	@ls -l $(deb_dir)/*.deb
clean-local: clean-deb
clean-deb:
	rm -rf $(deb_dir)
.PHONY: deb clean-deb
