/*
 * mib.h - the engine's counters, named as Linux names them in
 * /proc/net/snmp and /proc/net/netstat (group "Tcpx" holds ours, for
 * drops Linux has no name for).  One X-macro list keeps enum and names
 * together.
 */
#ifndef TCPX_MIB_H
#define TCPX_MIB_H

#define TCPX_MIB_LIST(X) \
	X(IP_INRECEIVES, "Ip", "InReceives") \
	X(IP_INHDRERRORS, "Ip", "InHdrErrors") \
	X(IP_INADDRERRORS, "Ip", "InAddrErrors") \
	X(IP_INUNKNOWNPROTOS, "Ip", "InUnknownProtos") \
	X(IP_INDISCARDS, "Ip", "InDiscards") \
	X(IP_INDELIVERS, "Ip", "InDelivers") \
	X(IP_OUTREQUESTS, "Ip", "OutRequests") \
	X(IP_OUTNOROUTES, "Ip", "OutNoRoutes") \
	X(IP_REASMFAILS, "Ip", "ReasmFails") \
	X(IP_INCSUMERRORS, "Ip", "InCsumErrors") \
	X(ICMP_INMSGS, "Icmp", "InMsgs") \
	X(ICMP_INERRORS, "Icmp", "InErrors") \
	X(ICMP_INCSUMERRORS, "Icmp", "InCsumErrors") \
	X(ICMP_INECHOS, "Icmp", "InEchos") \
	X(ICMP_OUTMSGS, "Icmp", "OutMsgs") \
	X(ICMP_OUTECHOREPS, "Icmp", "OutEchoReps") \
	X(TCP_ACTIVEOPENS, "Tcp", "ActiveOpens") \
	X(TCP_PASSIVEOPENS, "Tcp", "PassiveOpens") \
	X(TCP_ATTEMPTFAILS, "Tcp", "AttemptFails") \
	X(TCP_ESTABRESETS, "Tcp", "EstabResets") \
	X(TCP_CURRESTAB, "Tcp", "CurrEstab") \
	X(TCP_INSEGS, "Tcp", "InSegs") \
	X(TCP_OUTSEGS, "Tcp", "OutSegs") \
	X(TCP_RETRANSSEGS, "Tcp", "RetransSegs") \
	X(TCP_INERRS, "Tcp", "InErrs") \
	X(TCP_OUTRSTS, "Tcp", "OutRsts") \
	X(TCP_INCSUMERRORS, "Tcp", "InCsumErrors") \
	X(TCPEXT_SYNCOOKIESSENT, "TcpExt", "SyncookiesSent") \
	X(TCPEXT_SYNCOOKIESRECV, "TcpExt", "SyncookiesRecv") \
	X(TCPEXT_SYNCOOKIESFAILED, "TcpExt", "SyncookiesFailed") \
	X(TCPEXT_EMBRYONICRSTS, "TcpExt", "EmbryonicRsts") \
	X(TCPEXT_TW, "TcpExt", "TW") \
	X(TCPEXT_TWRECYCLED, "TcpExt", "TWRecycled") \
	X(TCPEXT_TWKILLED, "TcpExt", "TWKilled") \
	X(TCPEXT_PAWSACTIVE, "TcpExt", "PAWSActive") \
	X(TCPEXT_PAWSESTAB, "TcpExt", "PAWSEstab") \
	X(TCPEXT_PAWSOLDACK, "TcpExt", "PAWSOldAck") \
	X(TCPEXT_DELAYEDACKS, "TcpExt", "DelayedACKs") \
	X(TCPEXT_LISTENOVERFLOWS, "TcpExt", "ListenOverflows") \
	X(TCPEXT_LISTENDROPS, "TcpExt", "ListenDrops") \
	X(TCPEXT_TCPPUREACKS, "TcpExt", "TCPPureAcks") \
	X(TCPEXT_TCPTIMEOUTS, "TcpExt", "TCPTimeouts") \
	X(TCPEXT_TCPSYNRETRANS, "TcpExt", "TCPSynRetrans") \
	X(TCPEXT_TCPFASTRETRANS, "TcpExt", "TCPFastRetrans") \
	X(TCPEXT_TCPLOSSPROBES, "TcpExt", "TCPLossProbes") \
	X(TCPEXT_TCPDSACKRECV, "TcpExt", "TCPDSACKRecv") \
	X(TCPEXT_TCPDSACKOLDSENT, "TcpExt", "TCPDSACKOldSent") \
	X(TCPEXT_TCPOFOQUEUE, "TcpExt", "TCPOFOQueue") \
	X(TCPEXT_TCPABORTONDATA, "TcpExt", "TCPAbortOnData") \
	X(TCPEXT_TCPABORTONCLOSE, "TcpExt", "TCPAbortOnClose") \
	X(TCPEXT_TCPABORTONMEMORY, "TcpExt", "TCPAbortOnMemory") \
	X(TCPEXT_TCPABORTONTIMEOUT, "TcpExt", "TCPAbortOnTimeout") \
	X(TCPEXT_TCPABORTONLINGER, "TcpExt", "TCPAbortOnLinger") \
	X(TCPEXT_TCPCHALLENGEACK, "TcpExt", "TCPChallengeACK") \
	X(TCPEXT_TCPSYNCHALLENGE, "TcpExt", "TCPSYNChallenge") \
	X(TCPEXT_TCPTIMEWAITOVERFLOW, "TcpExt", "TCPTimeWaitOverflow") \
	X(TCPEXT_TCPREQQFULLDOCOOKIES, "TcpExt", "TCPReqQFullDoCookies") \
	X(TCPEXT_TCPREQQFULLDROP, "TcpExt", "TCPReqQFullDrop") \
	X(TCPEXT_TCPFASTOPENACTIVE, "TcpExt", "TCPFastOpenActive") \
	X(TCPEXT_TCPFASTOPENACTIVEFAIL, "TcpExt", "TCPFastOpenActiveFail") \
	X(TCPEXT_TCPFASTOPENPASSIVE, "TcpExt", "TCPFastOpenPassive") \
	X(TCPEXT_TCPFASTOPENPASSIVEFAIL, "TcpExt", "TCPFastOpenPassiveFail") \
	X(TCPEXT_TCPFASTOPENLISTENOVERFLOW, "TcpExt", "TCPFastOpenListenOverflow") \
	X(TCPEXT_TCPFASTOPENCOOKIEREQD, "TcpExt", "TCPFastOpenCookieReqd") \
	X(TCPEXT_TCPKEEPALIVE, "TcpExt", "TCPKeepAlive") \
	X(TCPEXT_TCPWINPROBE, "TcpExt", "TCPWinProbe") \
	X(TCPEXT_TCPORIGDATASENT, "TcpExt", "TCPOrigDataSent") \
	X(TCPEXT_TCPACKSKIPPEDCHALLENGE, "TcpExt", "TCPACKSkippedChallenge") \
	X(TCPEXT_OUTOFWINDOWICMPS, "TcpExt", "OutOfWindowIcmps") \
	X(TCPEXT_TCPORPHANOVERFLOW, "TcpExt", "TCPAbortOnMemoryOrphans") \
	X(IPEXT_INTRUNCATEDPKTS, "IpExt", "InTruncatedPkts") \
	X(TCPX_FRAMETRUNCATED, "Tcpx", "FrameTruncated") \
	X(TCPX_BADETHERTYPE, "Tcpx", "BadEtherType") \
	X(TCPX_NOTFORUS, "Tcpx", "NotForUs") \
	X(TCPX_TCPBADOPTIONS, "Tcpx", "TcpBadOptions") \
	X(TCPX_TCPBADHDRLEN, "Tcpx", "TcpBadHeaderLen") \
	X(TCPX_ARPIN, "Tcpx", "ArpIn") \
	X(TCPX_ARPOUT, "Tcpx", "ArpOut") \
	X(TCPX_ARPBAD, "Tcpx", "ArpBad") \
	X(TCPX_ARPQUEUEDROPS, "Tcpx", "ArpQueueDrops") \
	X(TCPX_ARPFAILED, "Tcpx", "ArpResolveFailed") \
	X(TCPEXT_TCPSACKRECOVERY, "TcpExt", "TCPSackRecovery") \
	X(TCPEXT_TCPRENORECOVERY, "TcpExt", "TCPRenoRecovery") \
	X(TCPEXT_TCPSLOWSTARTRETRANS, "TcpExt", "TCPSlowStartRetrans") \
	X(TCPEXT_TCPDSACKUNDO, "TcpExt", "TCPDSACKUndo") \
	X(TCPEXT_TCPFULLUNDO, "TcpExt", "TCPFullUndo") \
	X(TCPEXT_TCPPARTIALUNDO, "TcpExt", "TCPPartialUndo") \
	X(TCPEXT_TCPLOSSUNDO, "TcpExt", "TCPLossUndo") \
	X(TCPEXT_TCPSPURIOUSRTOS, "TcpExt", "TCPSpuriousRTOs") \
	X(TCPEXT_TCPTSREORDER, "TcpExt", "TCPTSReorder") \
	X(TCPEXT_TCPSACKREORDER, "TcpExt", "TCPSACKReorder") \
	X(TCPEXT_TCPRENOREORDER, "TcpExt", "TCPRenoReorder") \
	X(TCPEXT_TCPDSACKOFORECV, "TcpExt", "TCPDSACKOfoRecv") \
	X(TCPEXT_TCPDSACKRECVSEGS, "TcpExt", "TCPDSACKRecvSegs") \
	X(TCPEXT_TCPDSACKIGNOREDDUBIOUS, "TcpExt", "TCPDSACKIgnoredDubious") \
	X(TCPEXT_TCPDSACKIGNOREDOLD, "TcpExt", "TCPDSACKIgnoredOld") \
	X(TCPEXT_TCPDSACKIGNOREDNOUNDO, "TcpExt", "TCPDSACKIgnoredNoUndo") \
	X(TCPEXT_TCPDSACKOFOSENT, "TcpExt", "TCPDSACKOfoSent") \
	X(TCPEXT_TCPACKCOMPRESSED, "TcpExt", "TCPAckCompressed") \
	X(TCPEXT_TCPLOSTRETRANSMIT, "TcpExt", "TCPLostRetransmit") \
	X(TCPEXT_TCPLOSSPROBERECOVERY, "TcpExt", "TCPLossProbeRecovery") \
	X(TCPEXT_TCPHYSTARTTRAINDETECT, "TcpExt", "TCPHystartTrainDetect") \
	X(TCPEXT_TCPHYSTARTTRAINCWND, "TcpExt", "TCPHystartTrainCwnd") \
	X(TCPEXT_TCPHYSTARTDELAYDETECT, "TcpExt", "TCPHystartDelayDetect") \
	X(TCPEXT_TCPHYSTARTDELAYCWND, "TcpExt", "TCPHystartDelayCwnd")

enum tcpx_mib_id {
#define TCPX_MIB_ENUM(id, g, n) MIB_##id,
	TCPX_MIB_LIST(TCPX_MIB_ENUM)
#undef TCPX_MIB_ENUM
	MIB_MAX
};

#define MIB_INC(e, id)		((e)->mib[MIB_##id]++)
#define MIB_ADD(e, id, n)	((e)->mib[MIB_##id] += (n))
#define MIB_DEC(e, id)		((e)->mib[MIB_##id]--)

#endif /* TCPX_MIB_H */
