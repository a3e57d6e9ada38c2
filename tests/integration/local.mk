# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/local.mk: driftsync against real servers on loopback --
# OpenSSH, HTTP(S), webhooks, a browser -- and the git CLI on the store.
shell_tests += \
	tests/integration/store-git.sh tests/integration/ssh.sh \
	tests/integration/https.sh tests/integration/dpkg-ssh.sh \
	tests/integration/notify.sh tests/integration/notify-audit.sh \
	tests/integration/audit-ssh.sh tests/integration/report-browser.sh \
	tests/integration/secrets.sh tests/integration/ssh-stall.sh \
	tests/integration/remote-ssh.sh tests/integration/remote-https.sh \
	tests/integration/sudo.sh tests/integration/mirror-daemons.sh \
	tests/integration/rpm-cache.sh
