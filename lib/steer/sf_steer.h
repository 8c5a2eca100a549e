/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Ports and queues: bring up every configured port with one RX and one TX queue
 * per worker lcore, map DPDK port ids to configuration ports, and stop them.
 *
 * Ports are found by their DPDK device name (created by --vdev, or probed from
 * PCI); a port whose configuration has "devargs" and is not present yet is
 * hot-plugged with rte_dev_probe().
 */
#ifndef SF_STEER_H
#define SF_STEER_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#include "sf_conf.h"

/** A started port. */
struct sf_steer_port {
	uint16_t port_id;              /**< DPDK port id */
	uint16_t nb_queues;            /**< RX = TX queues, one per worker */
	struct rte_ether_addr mac;
	uint64_t rx_offload_cksum;     /**< RX checksum offloads enabled (0 when none) */
	int socket;                    /**< NUMA socket of the device (SOCKET_ID_ANY folded to 0) */
};

/** Sentinel in the port-id map for DPDK ports the configuration does not use. */
#define SF_STEER_NO_PORT 0xff

/** Configuration port index for each DPDK port id (SF_STEER_NO_PORT when unused). */
extern uint8_t sf_steer_port_map[RTE_MAX_ETHPORTS];

/**
 * Find (or hot-plug) the device of every configured port. Does not start anything;
 * lets the caller learn each port's socket before creating mempools.
 *
 * @param ports  filled, one per conf->ports entry (port_id, socket, mac)
 * @return 0, or -ENODEV naming the missing device in the log
 */
int sf_steer_ports_find(const struct sf_conf *conf, struct sf_steer_port *ports);

/**
 * Configure and start every port with @p nb_queues RX/TX queue pairs.
 *
 * @param pools  mbuf pool for each NUMA socket (index = socket id)
 * @return 0, or -errno (the failing port and call are logged); ports started
 *         before the failure are stopped again
 */
int sf_steer_ports_start(const struct sf_conf *conf, struct sf_steer_port *ports,
		uint16_t nb_queues, struct rte_mempool *const *pools);

/** Stop and close every port started by sf_steer_ports_start(). */
void sf_steer_ports_stop(const struct sf_conf *conf, struct sf_steer_port *ports);

#endif /* SF_STEER_H */
