package drover

// Diff types, as Nomad's plan and version APIs report them.
const (
	DiffTypeNone    = "None"
	DiffTypeAdded   = "Added"
	DiffTypeDeleted = "Deleted"
	DiffTypeEdited  = "Edited"
)

// JobDiff is a field-by-field difference between two versions of a job.
type JobDiff struct {
	Type       string
	ID         string
	Fields     []*FieldDiff
	Objects    []*ObjectDiff
	TaskGroups []*TaskGroupDiff
}

// TaskGroupDiff is the difference of one task group. Updates counts, by
// kind ("create", "destroy", "in-place update", "create/destroy update",
// "canary", "ignore"), what the scheduler would do, in a plan.
type TaskGroupDiff struct {
	Type    string
	Name    string
	Fields  []*FieldDiff
	Objects []*ObjectDiff
	Tasks   []*TaskDiff
	Updates map[string]uint64
}

// TaskDiff is the difference of one task. Annotations say what the change
// means for running allocations ("forces create/destroy update", "forces
// in-place update").
type TaskDiff struct {
	Type        string
	Name        string
	Fields      []*FieldDiff
	Objects     []*ObjectDiff
	Annotations []string
}

// FieldDiff is the difference of one primitive field.
type FieldDiff struct {
	Type        string
	Name        string
	Old, New    string
	Annotations []string
}

// ObjectDiff is the difference of a nested object (a block).
type ObjectDiff struct {
	Type    string
	Name    string
	Fields  []*FieldDiff
	Objects []*ObjectDiff
}

// Annotations of a task diff.
const (
	AnnotationForcesCreate        = "forces create"
	AnnotationForcesDestroy       = "forces destroy"
	AnnotationForcesInplaceUpdate = "forces in-place update"
	AnnotationForcesDestructive   = "forces create/destroy update"
)

// Update kinds counted in TaskGroupDiff.Updates.
const (
	UpdateTypeIgnore            = "ignore"
	UpdateTypeCreate            = "create"
	UpdateTypeDestroy           = "destroy"
	UpdateTypeMigrate           = "migrate"
	UpdateTypeCanary            = "canary"
	UpdateTypeInplaceUpdate     = "in-place update"
	UpdateTypeDestructiveUpdate = "create/destroy update"
)
