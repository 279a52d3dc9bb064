//! Building a proving job: the operations file's slots become tasks as data (execute, witness,
//! prove, and with a final proof the aggregation tree), each costed from the cost model.

use super::*;

impl Prover {
    /// [`Prover::job`] with options: with [`JobOptions::final_proof`], an aggregation tree
    /// planned by [`plan_tree`] over the sub-proofs in execution order (planning runs native
    /// execution once, milliseconds, to learn that order), one `aggregate` task per node, each
    /// costed with its planned single-thread seconds, memory and `workers` threads; `assemble`
    /// takes the root node's output last. A budget too small for any tree is
    /// [`PipelineError::FinalPlan`].
    pub fn job_with(
        &self,
        target: &Target,
        policy: &str,
        workers: usize,
        options: &JobOptions,
    ) -> Result<ProvingJob, PipelineError> {
        let depth = self.ops.genesis.tree_depth;
        let ids = target.operation_ids();
        let mut planned: Vec<(String, SubCircuitKind)> = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let op = self.ops.operation(id)?;
            let label = tasks::operation_label(&ids, i);
            for (s, step) in op.steps.iter().enumerate() {
                for p in &step.prove {
                    planned.push((format!("{label}/{}/{}", s + 1, p.role), p.subcircuit));
                }
            }
        }
        if options.final_proof {
            planned = self.execution_order(&ids, planned)?;
        }
        let mut shapes: BTreeMap<SubCircuitKind, ShapeStats> = BTreeMap::new();
        for (_, kind) in &planned {
            if let std::collections::btree_map::Entry::Vacant(entry) = shapes.entry(*kind) {
                let shape =
                    ShapeStats::of_kind(*kind, depth).map_err(|message| crate::keys::KeyError {
                        kind: *kind,
                        depth,
                        message,
                    })?;
                entry.insert(shape);
            }
        }

        let mut spec = JobSpec::new(format!("{} {}", target.kind(), target.id()));
        let (mut loaded_costs, mut naive_costs) = (Vec::new(), Vec::new());
        let mut prove_tasks = BTreeMap::new();
        let execute_s = EXECUTE_S_PER_OPERATION * ids.len() as f64;
        let execute = spec.add_task(
            "execute",
            tasks::EXECUTE,
            Cost::secs(execute_s),
            codec::encode(&ExecuteInput {
                operations_path: self.ops.path.display().to_string(),
                operations_toml: self.ops.source.clone(),
                operation_ids: ids.clone(),
                tree_depth: depth,
                planned: planned.iter().map(|(l, _)| l.clone()).collect(),
            }),
        );
        loaded_costs.push(execute_s);
        naive_costs.push(execute_s);
        let mut proves = Vec::with_capacity(planned.len());
        for (label, kind) in &planned {
            let shape = &shapes[kind];
            let witness_s = self.costs.witness_s(*kind);
            let witness = spec.add_task(
                format!("witness {label}"),
                tasks::WITNESS,
                Cost::secs(witness_s),
                codec::encode(&WitnessInput {
                    label: label.clone(),
                }),
            );
            spec.add_dependency(execute, witness)?;
            let cost = Cost::secs(self.costs.scheduling_s(*kind, shape))
                .with_threads(workers)
                .with_mem(self.costs.peak_mem(*kind, shape));
            let prove = spec.add_task(
                format!("prove {label}"),
                kind.name(),
                cost,
                codec::encode(&ProveInput {
                    label: label.clone(),
                    kind: *kind,
                    tree_depth: depth,
                }),
            );
            spec.add_dependency(witness, prove)?;
            loaded_costs.extend([witness_s, self.costs.loaded_s(*kind, shape)]);
            naive_costs.extend([witness_s, self.costs.alone_s(*kind, shape)]);
            prove_tasks.insert(prove, (*kind, shape.clone()));
            proves.push(prove);
        }
        let mut final_proof = None;
        if options.final_proof {
            let leaves: Vec<LeafEstimate> = planned
                .iter()
                .map(|(_, kind)| LeafEstimate {
                    seconds: self.costs.loaded_s(*kind, &shapes[kind]),
                    peak_bytes: self.costs.peak_mem(*kind, &shapes[kind]),
                    proof_bytes: crate::final_proof::leaf_proof_bytes(*kind),
                })
                .collect();
            let model = options
                .agg_model
                .clone()
                .unwrap_or_else(AggCostModel::measured_2core);
            let budget = options.mem_budget.unwrap_or(DEFAULT_AGG_BUDGET);
            let plan = plan_tree(&leaves, &model, budget, workers.max(1))?;
            let mut node_tasks: Vec<Vec<usize>> = Vec::with_capacity(plan.levels.len());
            for (l, level) in plan.levels.iter().enumerate() {
                let mut ids = Vec::with_capacity(level.len());
                for (j, node) in level.iter().enumerate() {
                    let children = node
                        .children
                        .iter()
                        .map(|c| match *c {
                            ChildRef::Leaf(i) => AggregateChild::Leaf {
                                label: planned[i].0.clone(),
                                kind: planned[i].1,
                            },
                            ChildRef::Node { level, index } => {
                                AggregateChild::Node { level, index }
                            }
                        })
                        .collect();
                    let cost = Cost::secs(node.seconds)
                        .with_threads(workers)
                        .with_mem(node.peak_bytes);
                    let task = spec.add_task(
                        format!("aggregate {}/{j}", l + 1),
                        tasks::AGGREGATE,
                        cost,
                        codec::encode(&AggregateInput {
                            level: l + 1,
                            index: j,
                            tree_levels: plan.levels.len(),
                            agg_k: plan.k,
                            tree_depth: depth,
                            children,
                        }),
                    );
                    for c in &node.children {
                        let before = match *c {
                            ChildRef::Leaf(i) => proves[i],
                            ChildRef::Node { level, index } => node_tasks[level - 1][index],
                        };
                        spec.add_dependency(before, task)?;
                    }
                    loaded_costs.push(node.seconds);
                    naive_costs.push(node.seconds);
                    ids.push(task);
                }
                node_tasks.push(ids);
            }
            final_proof = Some((plan, node_tasks));
        }
        let assemble = spec.add_task(
            "assemble",
            tasks::ASSEMBLE,
            Cost::secs(ASSEMBLE_S),
            codec::encode(&AssembleInput {
                kind: target.kind().into(),
                id: target.id().into(),
                tree_depth: depth,
                policy: policy.into(),
                final_tree: final_proof
                    .as_ref()
                    .map(|(plan, _)| FinalTree::of_plan(plan)),
            }),
        );
        loaded_costs.push(ASSEMBLE_S);
        naive_costs.push(ASSEMBLE_S);
        spec.add_dependency(execute, assemble)?;
        for prove in proves {
            spec.add_dependency(prove, assemble)?;
        }
        if let Some((_, nodes)) = &final_proof {
            spec.add_dependency(nodes[nodes.len() - 1][0], assemble)?;
        }
        Ok(ProvingJob {
            spec,
            assemble_task: assemble,
            prove_tasks,
            loaded_costs,
            naive_costs,
            final_proof,
        })
    }

    /// `planned` reordered into execution order (the order the bundle lists sub-proofs and the
    /// state roots chain in), by executing natively once on the genesis state.
    fn execution_order(
        &self,
        ids: &[String],
        planned: Vec<(String, SubCircuitKind)>,
    ) -> Result<Vec<(String, SubCircuitKind)>, PipelineError> {
        let mut world = crate::world::WorldState::genesis(&self.ops.genesis)?;
        let mut by_label: BTreeMap<String, SubCircuitKind> = planned.into_iter().collect();
        let mut ordered = Vec::with_capacity(by_label.len());
        for (i, id) in ids.iter().enumerate() {
            let op = self.ops.operation(id)?;
            for slot in world.execute(op, &tasks::operation_label(ids, i))?.slots {
                let label = slot.label();
                let kind = by_label.remove(&label).ok_or_else(|| {
                    PipelineError::Job(format!("execution produced unplanned slot {label}"))
                })?;
                ordered.push((label, kind));
            }
        }
        if let Some(missing) = by_label.keys().next() {
            return Err(PipelineError::Job(format!(
                "planned slot {missing} was not produced by execution"
            )));
        }
        Ok(ordered)
    }
}
