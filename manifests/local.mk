# SPDX-License-Identifier: GPL-2.0-or-later
# manifests/local.mk: the model (manifest, canonical JSON), versions,
# ignore rules, the semantic diff and the git store.
libdriftsync_la_SOURCES += \
	manifests/manifest.c manifests/manifest.h \
	manifests/manifest-check.c manifests/manifest-json.c \
	manifests/manifest-parse.c manifests/manifest-file.c manifests/manifest-serialise.c \
	manifests/manifest-private.h manifests/manifest-selection.c \
	manifests/version.c manifests/version.h manifests/version-rpm.c manifests/rpm-lazy.c \
	manifests/ignore.c manifests/ignore.h \
	manifests/diff.c manifests/diff.h manifests/diff-private.h \
	manifests/diff-selection.c manifests/diff-describe.c \
	manifests/store.c manifests/store.h manifests/store-private.h \
	manifests/store-txn.c manifests/store-writer.c manifests/store-inputs.c manifests/store-pack.c manifests/store-history.c manifests/store-lock.c \
	manifests/store-mode.c manifests/store-remote.c manifests/store-remote.h \
	manifests/store-pending.c manifests/store-walk.c manifests/store-diffcache.c \
	manifests/bundle.c manifests/bundle.h \
	manifests/store-bundle.c manifests/store-bundle.h \
	manifests/patch-history.c manifests/patch-history.h \
	manifests/content-diff.c manifests/content-diff.h \
	manifests/drift.c manifests/drift.h
