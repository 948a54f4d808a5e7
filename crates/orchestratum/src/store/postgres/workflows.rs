//! Workflows on PostgreSQL (see `store/workflows.rs`).

use sqlx::PgConnection;
use uuid::Uuid;

use super::PostgresStore;
use crate::error::Result;
use crate::store::rows;
use crate::store::workflows;
use crate::workflow::release::{self, Ended};
use crate::workflow::{ParentStep, PlannedWorkflow, WorkflowInfo};

impl PostgresStore {
    pub(crate) async fn push_workflow(&self, workflow: &PlannedWorkflow) -> Result<()> {
        let mut tx = self.begin().await?;
        self.push_workflow_on(&mut tx, workflow).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Inserts a workflow on the caller's connection (inside its transaction).
    pub(crate) async fn push_workflow_on(
        &self,
        conn: &mut PgConnection,
        w: &PlannedWorkflow,
    ) -> Result<()> {
        self.insert_rows(conn, &w.rows).await?;
        let steps = &w.steps;
        self.query(&self.sql.add_workflow)
            .bind(w.id)
            .bind(&w.name)
            .bind(steps.iter().map(|s| s.command_id).collect::<Vec<_>>())
            .bind(steps.iter().map(|s| s.key.as_deref()).collect::<Vec<_>>())
            .bind(steps.iter().map(|s| s.role).collect::<Vec<_>>())
            .bind(steps.iter().map(|s| s.waiting).collect::<Vec<_>>())
            .bind(steps.iter().map(|s| s.delay_us).collect::<Vec<_>>())
            .bind(w.edges.iter().map(|e| e.parent_id).collect::<Vec<_>>())
            .bind(w.edges.iter().map(|e| e.child_id).collect::<Vec<_>>())
            .bind(w.edges.iter().map(|e| e.policy).collect::<Vec<_>>())
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Counts the ends of `ended` in the steps that wait for them and releases those it
    /// completes, inside the finishing transaction.
    pub(crate) async fn release_on(&self, conn: &mut PgConnection, ended: &[Ended]) -> Result<()> {
        let parents: Vec<Uuid> = ended.iter().map(|e| e.id).collect();
        let found = self
            .query(&self.sql.resolve_edges)
            .bind(parents)
            .fetch_all(&mut *conn)
            .await?;
        let tallies = release::tally(ended, &rows::all(&found, workflows::resolved)?);
        if tallies.is_empty() {
            return Ok(());
        }
        let found = self
            .query(&self.sql.count_parents)
            .bind(tallies.iter().map(|t| t.child_id).collect::<Vec<_>>())
            .bind(tallies.iter().map(|t| t.ended).collect::<Vec<_>>())
            .bind(tallies.iter().map(|t| t.unmet).collect::<Vec<_>>())
            .fetch_all(&mut *conn)
            .await?;
        let releases = release::releases(&tallies, &rows::all(&found, workflows::counted)?);
        if releases.is_empty() {
            return Ok(());
        }
        self.query(&self.sql.release_steps)
            .bind(releases.iter().map(|r| r.command_id).collect::<Vec<_>>())
            .bind(releases.iter().map(|r| r.delay_us).collect::<Vec<_>>())
            .bind(releases.iter().map(|r| r.cancel).collect::<Vec<_>>())
            .bind(&*self.channel)
            .execute(conn)
            .await?;
        Ok(())
    }

    pub(crate) async fn workflow(&self, id: Uuid) -> Result<Option<WorkflowInfo>> {
        let steps = alone!(self, |c| self
            .query(&self.sql.workflow_steps)
            .bind(id)
            .fetch_all(c));
        let edges = alone!(self, |c| self
            .query(&self.sql.workflow_edges)
            .bind(id)
            .fetch_all(c));
        Ok(workflows::assemble(
            id,
            rows::all(&steps, workflows::step)?,
            rows::all(&edges, workflows::edge)?,
        ))
    }

    pub(crate) async fn parents(&self, id: Uuid) -> Result<Vec<ParentStep>> {
        let found = alone!(self, |c| self
            .query(&self.sql.parent_steps)
            .bind(id)
            .fetch_all(c));
        rows::all(&found, workflows::parent)
    }

    pub(crate) async fn cancel_workflow(&self, id: Uuid) -> Result<Vec<(Uuid, bool)>> {
        let found = alone!(self, |c| self
            .query(&self.sql.cancel_workflow)
            .bind(id)
            .bind(&*self.channel)
            .fetch_all(c));
        rows::all(&found, workflows::cancel_requested)
    }
}
