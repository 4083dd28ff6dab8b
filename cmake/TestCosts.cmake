# ctest starts the costliest tests first, so that its slots finish together
# instead of one long test running alone at the end. A fresh build directory
# has no timings of its own (Testing/Temporary/CTestCostData.txt), so the
# long tests are named here with their seconds in the sanitizer build
# (2 cores); a test missing from the list only starts later.
set(TRESOR_TEST_COSTS
    integration.test_userpass 80 integration.test_cli_secrets 50 raft_test 50
    integration.test_bad_input 50 integration.test_snapshot_crash 40
    integration.test_backup 38 integration.test_cluster_script 33 integration.test_cli 26
    integration.test_raft_cluster 25 http_test 24 integration.test_cli_raft 23
    integration.test_raft_state_transfer 60 integration.test_seal_migration 60
    integration.test_seal_transit 30 integration.test_seal_quorum 20
    integration.test_dr_failover 35 integration.test_dr_synchronous 15
    integration.test_snapshot_auto 25 integration.test_snapshot_auto_s3 30
    integration.test_snapshot_pitr 25)

# Sets the COST of test NAME (defined in the calling directory) when listed.
function(tresor_test_cost NAME)
  list(FIND TRESOR_TEST_COSTS ${NAME} position)
  if(position GREATER_EQUAL 0)
    math(EXPR cost_position "${position} + 1")
    list(GET TRESOR_TEST_COSTS ${cost_position} cost)
    set_tests_properties(${NAME} PROPERTIES COST ${cost})
  endif()
endfunction()
