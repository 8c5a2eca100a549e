/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_ethdev.h>

#include "sf_log.h"
#include "sf_steer.h"

RTE_LOG_REGISTER(sf_steer_logtype, synfront.steer, INFO);

uint8_t sf_steer_port_map[RTE_MAX_ETHPORTS];

int sf_steer_ports_find(const struct sf_conf *conf, struct sf_steer_port *ports)
{
	memset(sf_steer_port_map, SF_STEER_NO_PORT, sizeof(sf_steer_port_map));
	for (uint16_t i = 0; i < conf->nb_ports; i++) {
		const struct sf_conf_port *cp = &conf->ports[i];
		uint16_t pid;
		int ret;

		ret = rte_eth_dev_get_port_by_name(cp->device, &pid);
		if (ret != 0 && cp->devargs[0] != '\0') {
			char spec[SF_CONF_DEV_MAX + SF_CONF_DEVARGS_MAX + 2];

			snprintf(spec, sizeof(spec), "%s,%s", cp->device, cp->devargs);
			ret = rte_dev_probe(spec);
			if (ret != 0) {
				SF_LOG(steer, ERR, "port %s: cannot probe \"%s\": %s", cp->name, spec,
						strerror(-ret));
				return -ENODEV;
			}
			ret = rte_eth_dev_get_port_by_name(cp->device, &pid);
		}
		if (ret != 0) {
			SF_LOG(steer, ERR, "port %s: no DPDK device named \"%s\" (add --vdev or devargs)",
					cp->name, cp->device);
			return -ENODEV;
		}
		if (sf_steer_port_map[pid] != SF_STEER_NO_PORT) {
			SF_LOG(steer, ERR, "port %s: device \"%s\" already used by port %s", cp->name,
					cp->device, conf->ports[sf_steer_port_map[pid]].name);
			return -EEXIST;
		}
		ports[i].port_id = pid;
		ret = rte_eth_macaddr_get(pid, &ports[i].mac);
		if (ret != 0) {
			SF_LOG(steer, ERR, "port %s: cannot read MAC address: %s", cp->name, strerror(-ret));
			return ret;
		}
		ports[i].socket = rte_eth_dev_socket_id(pid);
		if (ports[i].socket < 0)
			ports[i].socket = 0;
		sf_steer_port_map[pid] = (uint8_t)i;
	}
	return 0;
}

static int port_start(const struct sf_conf_port *cp, struct sf_steer_port *p, uint16_t nb_queues,
		struct rte_mempool *pool)
{
	struct rte_eth_conf econf = {0};
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = cp->rx_desc, nb_txd = cp->tx_desc;
	int ret;

	ret = rte_eth_dev_info_get(p->port_id, &info);
	if (ret != 0)
		return ret;
	if (nb_queues > info.max_rx_queues || nb_queues > info.max_tx_queues) {
		SF_LOG(steer, ERR, "port %s: %u workers need %u queues, device has %u RX / %u TX "
				"(af_packet: add qpairs=%u to its devargs)", cp->name, nb_queues, nb_queues,
				info.max_rx_queues, info.max_tx_queues, nb_queues);
		return -EINVAL;
	}
	if (nb_queues > 1 && (info.flow_type_rss_offloads & RTE_ETH_RSS_IP)) {
		econf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		econf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP);
	}
	p->rx_offload_cksum = info.rx_offload_capa &
		(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM);
	econf.rxmode.offloads = p->rx_offload_cksum;
	if (cp->mtu > RTE_ETHER_MTU)
		econf.rxmode.mtu = cp->mtu;
	ret = rte_eth_dev_configure(p->port_id, nb_queues, nb_queues, &econf);
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nb_rxd, &nb_txd);
	if (ret != 0)
		return ret;
	for (uint16_t q = 0; q < nb_queues; q++) {
		ret = rte_eth_rx_queue_setup(p->port_id, q, nb_rxd, p->socket, NULL, pool);
		if (ret != 0)
			return ret;
		ret = rte_eth_tx_queue_setup(p->port_id, q, nb_txd, p->socket, NULL);
		if (ret != 0)
			return ret;
	}
	if (cp->promiscuous && (ret = rte_eth_promiscuous_enable(p->port_id)) != 0)
		return ret;
	ret = rte_eth_dev_start(p->port_id);
	if (ret != 0)
		return ret;
	p->nb_queues = nb_queues;
	SF_LOG(steer, INFO, "port %s: dpdk port %u (%s) mac " RTE_ETHER_ADDR_PRT_FMT
			" address " SF_IPV4_FMT "/%u, %u queue pair(s)", cp->name, p->port_id, cp->device,
			RTE_ETHER_ADDR_BYTES(&p->mac), SF_IPV4_BYTES(cp->addr), cp->prefix_len, nb_queues);
	return 0;
}

int sf_steer_ports_start(const struct sf_conf *conf, struct sf_steer_port *ports,
		uint16_t nb_queues, struct rte_mempool *const *pools)
{
	uint16_t i;
	int ret = 0;

	for (i = 0; i < conf->nb_ports; i++) {
		ret = port_start(&conf->ports[i], &ports[i], nb_queues, pools[ports[i].socket]);
		if (ret != 0) {
			SF_LOG(steer, ERR, "port %s: cannot start: %s", conf->ports[i].name,
					strerror(ret < 0 ? -ret : ret));
			break;
		}
	}
	if (ret == 0)
		return 0;
	while (i-- > 0) {
		rte_eth_dev_stop(ports[i].port_id);
		ports[i].nb_queues = 0;
	}
	return ret < 0 ? ret : -ret;
}

void sf_steer_ports_stop(const struct sf_conf *conf, struct sf_steer_port *ports)
{
	for (uint16_t i = 0; i < conf->nb_ports; i++) {
		if (ports[i].nb_queues == 0)
			continue;
		rte_eth_dev_stop(ports[i].port_id);
		rte_eth_dev_close(ports[i].port_id);
		ports[i].nb_queues = 0;
	}
}
