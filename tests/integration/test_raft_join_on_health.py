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
