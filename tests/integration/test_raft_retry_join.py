"""retry_join on real processes: two new nodes configured with
`retry_join { leader_api_addr = ... }` start before their leader exists,
keep retrying, join once it is initialised, and become voters after being
unsealed with the cluster's keys; a restarted member does not join again."""
from harness import TresorServer, voters, wait_for, close_all


def test_new_nodes_join_by_retry_join_once_the_leader_is_up():
    leader = TresorServer(storage="raft")
    retry = f'  retry_join {{\n    leader_api_addr = "http://127.0.0.1:1"\n  }}\n' \
            f'  retry_join {{\n    leader_api_addr = "{leader.address}"\n  }}\n'
    followers = [TresorServer(storage="raft", storage_extra=retry) for _ in range(2)]
    try:
        for f in followers:
            f.start()
        # No leader yet: both keep trying, and say so.
        for f in followers:
            wait_for(lambda: "retrying" in f.logs(), what="a failed retry_join attempt")
            assert f.seal_status()["initialized"] is False

        leader.start()
        init = leader.init(3, 2)
        keys, root = init["keys"], init["root_token"]
        leader.unseal(keys[:2])
        wait_for(lambda: leader.api("GET", "sys/leader").json["is_self"], what="an active leader")

        for f in followers:
            wait_for(lambda: f.seal_status()["initialized"] is True, timeout=30,
                     what="retry_join to reach the leader")
            assert f.seal_status()["sealed"] is True
            f.unseal(keys[:2])
            assert f.seal_status()["sealed"] is False
        wait_for(lambda: len(voters(leader, root)) == 3, timeout=60, what="promotion")

        r = followers[0].api("POST", "sys/mounts/kv", {"type": "kv"}, token=root)
        assert r.status == 204, r
        r = followers[1].api("POST", "kv/joined", {"by": "retry_join"}, token=root)
        assert r.status == 204, r
        r = leader.api("GET", "kv/joined", token=root)
        assert r.status == 200 and r.json["data"] == {"by": "retry_join"}, r

        # A member restarts: it is initialised, so it does not join again.
        attempts = followers[0].logs().count("retry_join:")
        followers[0].restart()
        followers[0].unseal(keys[:2])
        wait_for(lambda: followers[0].api("GET", "sys/health").status == 429,
                 what="the restarted member to be a standby")
        assert followers[0].logs().count("retry_join:") == attempts
        assert len(voters(leader, root)) == 3
    finally:
        close_all([leader] + followers)
