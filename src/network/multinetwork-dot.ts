import type { SectionConnections } from './multinetwork.js';

/** netpol-analyzer's dot graph of a multi-network connection list: one cluster per network. */
export function renderMultiNetworkDot(sections: SectionConnections[], focusConnLabel: string | undefined): string {
  void sections;
  void focusConnLabel;
  return '';
}
