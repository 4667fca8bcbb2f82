# Runs after gtest_discover_tests' own include file and labels a discovered
# test long (ctest scripts know only set_tests_properties here). Each Slurm
# test starts its own single-node cluster (about 15 s); the default suite
# keeps SlurmJobArrayMergesToTheLocalResult for the Slurm path, and the
# exhaustive sweep's sharding, resume and negative controls run locally.
set_tests_properties(Sweep.RtlExhaustiveThroughSlurmEqualsTheLocalRun PROPERTIES LABELS "sweep;long")
