/* SPDX-License-Identifier: GPL-2.0-or-later */
/* drivers/transport-agent.h: the "agent:DOMAIN" transport's table, for
 * the transport registry: commands and files in a libvirt guest through
 * qemu-guest-agent.  opts->libvirt_uri names the connection
 * (default qemu:///system). */
#pragma once

#include "drivers/transport.h"

extern const ds_transport_ops ds_transport_agent_ops;
