! moments.f90 — libcohort from Fortran through iso_c_binding: every rank
! holds its share of two columns in its own arrays, the ranks compute their
! moments and covariance together, then sort one column across the ranks.
!
! The data: x = N-1-g for the global row g (descending), y = 2x + 1, so the
! results are known: mean (N-1)/2, variance N(N+1)/12, cov(x,y) = 2 var(x),
! and the sorted x at global position g is g.  Exits 1 if any differ.
!
! Build against an installed Cohort:
!     mpifort moments.f90 $(pkg-config --libs cohort) -o moments
!     mpirun -n 4 ./moments 1000000
program moments
    use, intrinsic :: iso_c_binding
    use mpi
    implicit none

    ! The parts of <cohort.h> this program uses, as C declares them.
    integer(c_int), parameter :: COHORT_OK = 0, COHORT_DOUBLE = 10, COHORT_STATS_MATRIX = 2

    type, bind(c) :: cohort_column              ! a view of caller-owned rows
        type(c_ptr) :: name
        integer(c_int) :: type
        integer(c_size_t) :: width
        integer(c_int64_t) :: count
        type(c_ptr) :: data
    end type
    type, bind(c) :: cohort_source              ! filled by cohort_source_columns
        integer(c_int) :: ncols
        type(c_funptr) :: rewind, next
        type(c_ptr) :: arg
    end type
    type, bind(c) :: cohort_columns_source
        type(c_ptr) :: cols
        integer(c_int) :: ncols, given
    end type
    type, bind(c) :: cohort_column_stats
        integer(c_int64_t) :: count, nan
        real(c_double) :: weight, sum, mean, var, std, min, max, skew, kurtosis
    end type

    interface
        integer(c_int) function cohort_ctx_create_fortran(comm, ctx) bind(c)
            import :: c_int, c_ptr
            integer(c_int), value :: comm
            type(c_ptr) :: ctx
        end function
        subroutine cohort_ctx_destroy(ctx) bind(c)
            import :: c_ptr
            type(c_ptr) :: ctx
        end subroutine
        type(c_ptr) function cohort_errmsg(ctx) bind(c)
            import :: c_ptr
            type(c_ptr), value :: ctx
        end function
        subroutine cohort_partition(n, parts, i, begin, count) bind(c)
            import :: c_int, c_int64_t
            integer(c_int64_t), value :: n
            integer(c_int), value :: parts, i
            integer(c_int64_t) :: begin, count
        end subroutine
        type(cohort_column) function cohort_column_make(name, type, count, data) bind(c)
            import :: cohort_column, c_ptr, c_int, c_int64_t
            type(c_ptr), value :: name, data
            integer(c_int), value :: type
            integer(c_int64_t), value :: count
        end function
        subroutine cohort_source_columns(src, state, cols, ncols) bind(c)
            import :: cohort_source, cohort_columns_source, cohort_column, c_int
            type(cohort_source) :: src
            type(cohort_columns_source) :: state
            type(cohort_column) :: cols(*)
            integer(c_int), value :: ncols
        end subroutine
        integer(c_int) function cohort_stats_compute(ctx, src, flags, stats) bind(c)
            import :: c_ptr, c_int, cohort_source
            type(c_ptr), value :: ctx
            type(cohort_source) :: src
            integer(c_int), value :: flags
            type(c_ptr) :: stats
        end function
        integer(c_int) function cohort_stats_column(stats, j, ddof, out) bind(c)
            import :: c_ptr, c_int, c_double, cohort_column_stats
            type(c_ptr), value :: stats
            integer(c_int), value :: j
            real(c_double), value :: ddof
            type(cohort_column_stats) :: out
        end function
        integer(c_int) function cohort_stats_covariance(stats, ddof, cov) bind(c)
            import :: c_ptr, c_int, c_double
            type(c_ptr), value :: stats
            real(c_double), value :: ddof
            real(c_double) :: cov(*)
        end function
        subroutine cohort_stats_destroy(stats) bind(c)
            import :: c_ptr
            type(c_ptr) :: stats
        end subroutine
        integer(c_int) function cohort_sort(ctx, keys, payloads, npayloads, index, opts) bind(c)
            import :: c_ptr, c_int, cohort_column
            type(c_ptr), value :: ctx, payloads, index, opts
            type(cohort_column) :: keys
            integer(c_int), value :: npayloads
        end function
    end interface

    type(c_ptr) :: ctx = c_null_ptr, stats = c_null_ptr
    type(cohort_column) :: cols(2)
    type(cohort_source) :: src
    type(cohort_columns_source) :: state
    type(cohort_column_stats) :: sx, sy
    real(c_double), allocatable, target :: x(:), y(:)
    real(c_double) :: cov(4), want_mean, want_var
    integer(c_int64_t) :: n, first, mine, i
    integer :: ierr, rank, nranks, ok, all_ok, st
    character(len=32) :: arg

    call MPI_Init(ierr)
    call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
    call MPI_Comm_size(MPI_COMM_WORLD, nranks, ierr)
    n = 1000000
    if (command_argument_count() > 0) then
        call get_command_argument(1, arg)
        read (arg, *) n
    end if

    st = cohort_ctx_create_fortran(MPI_COMM_WORLD, ctx)
    if (st /= COHORT_OK) call MPI_Abort(MPI_COMM_WORLD, 5, ierr)

    ! This rank's rows: [first, first + mine) of n.
    call cohort_partition(n, nranks, rank, first, mine)
    allocate (x(max(mine, 1_c_int64_t)), y(max(mine, 1_c_int64_t)))
    do i = 1, mine
        x(i) = real(n - 1 - (first + i - 1), c_double)
        y(i) = 2 * x(i) + 1
    end do

    ! Moments and the covariance matrix in one pass over both columns.
    cols(1) = cohort_column_make(c_null_ptr, COHORT_DOUBLE, mine, c_loc(x))
    cols(2) = cohort_column_make(c_null_ptr, COHORT_DOUBLE, mine, c_loc(y))
    call cohort_source_columns(src, state, cols, 2)
    st = cohort_stats_compute(ctx, src, COHORT_STATS_MATRIX, stats)
    call check_status(st)
    st = cohort_stats_column(stats, 0, 1.0_c_double, sx)
    st = cohort_stats_column(stats, 1, 1.0_c_double, sy)
    st = cohort_stats_covariance(stats, 1.0_c_double, cov)
    call cohort_stats_destroy(stats)

    want_mean = real(n - 1, c_double) / 2
    want_var = real(n, c_double) * real(n + 1, c_double) / 12
    ok = 1
    if (sx%count /= n .or. abs(sx%mean - want_mean) > 1e-12 * want_mean) ok = 0
    if (abs(sx%var - want_var) > 1e-12 * want_var) ok = 0
    if (abs(cov(2) - 2 * want_var) > 1e-12 * want_var .or. abs(sy%var - 4 * want_var) > 4e-12 * want_var) ok = 0
    if (rank == 0) then
        print '(a,i0,a,i0,a)', 'moments of ', n, ' rows over ', nranks, ' ranks:'
        print '(a,f0.3,a,es14.7,a,f0.1,a,f0.1)', '  x: mean ', sx%mean, ' var ', sx%var, ' min ', sx%min, ' max ', sx%max
        print '(a,f0.3,a,es14.7)', '  y: mean ', sy%mean, ' var ', sy%var
            print '(a,es14.7,a,es14.7,a)', '  cov(x, y) ', cov(2), ' (2 var x = ', 2 * want_var, ')'
    end if

    ! Sort x across the ranks, in place: rank r keeps its row count and gets
    ! the next values of the global order.
    st = cohort_sort(ctx, cols(1), c_null_ptr, 0, c_null_ptr, c_null_ptr)
    call check_status(st)
    do i = 1, mine
        if (x(i) /= real(first + i - 1, c_double)) ok = 0
    end do
    call MPI_Allreduce(ok, all_ok, 1, MPI_INTEGER, MPI_MIN, MPI_COMM_WORLD, ierr)
    if (rank == 0) then
        if (all_ok == 1) then
            print '(a)', '  sorted x: every value at its global position: ok'
        else
            print '(a)', 'moments: a result differs from the known one'
        end if
    end if

    call cohort_ctx_destroy(ctx)
    call MPI_Finalize(ierr)
    if (all_ok /= 1) stop 1

contains

    ! A status is the same on every rank, so every rank stops together.
    subroutine check_status(status)
        integer, intent(in) :: status
        character(len=512), pointer :: msg
        if (status == COHORT_OK) return
        if (rank == 0) then
            call c_f_pointer(cohort_errmsg(ctx), msg)
            print '(a,a)', 'moments: ', msg(1:index(msg, c_null_char) - 1)
        end if
        call cohort_ctx_destroy(ctx)
        call MPI_Finalize(ierr)
        stop 5
    end subroutine

end program
