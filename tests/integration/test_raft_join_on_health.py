"""A join sent the moment the leader's sys/health first answers 200, as
automation does (wait for health, then join), is accepted: the leader may
still be finishing becoming active then, and the join challenge waits for
it instead of answering "not the active node". Three fresh clusters."""
from harness import TresorServer, wait_for


def test_join_right_after_the_leader_reports_healthy():
    for _ in range(3):
        leader, joiner = TresorServer(storage="raft"), TresorServer(storage="raft")
        try:
            leader.start()
            joiner.start()
            init = leader.init(1, 1)
            leader.unseal(init["keys"])
            wait_for(lambda: leader.api("GET", "sys/health").status == 200, interval=0.001,
                     what="the leader's health to answer 200")
            r = joiner.api("POST", "sys/storage/raft/join", {"leader_api_addr": leader.address})
            assert r.status == 200, r
            joiner.unseal(init["keys"])
            assert joiner.seal_status()["sealed"] is False
        finally:
            joiner.close()
            leader.close()


def test_join_options_tresor_does_not_implement_are_refused():
    """Vault's CLI sends every join option, mostly empty: those are fine;
    set ones Tresor does not implement are refused, never ignored."""
    node = TresorServer(storage="raft")
    try:
        node.start()
        leader = "http://127.0.0.1:1"
        for field, value, fragment in [("retry", True, "retry_join block"),
                                        ("non_voter", True, "non_voter is not supported"),
                                        ("leader_ca_cert", "-----BEGIN", "system's CA store"),
                                        ("auto_join", "provider=aws", "auto_join is not supported"),
                                        ("colour", "blue", "unrecognized parameters")]:
            r = node.api("POST", "sys/storage/raft/join", {"leader_api_addr": leader, field: value})
            assert r.status == 400 and fragment in r.errors[0], (field, r)
        # Vault's CLI's empty options pass this check (and then fail to reach
        # the leader, which is not running).
        r = node.api("POST", "sys/storage/raft/join",
                     {"leader_api_addr": leader, "retry": False, "non_voter": False,
                      "leader_ca_cert": "", "leader_client_cert": "", "leader_client_key": "",
                      "auto_join": "", "auto_join_scheme": "", "auto_join_port": 0})
        assert r.status == 400 and "could not join the cluster" in r.errors[0], r
        assert node.seal_status()["initialized"] is False
    finally:
        node.close()
