// Checks that mpirun works here as the coordinator will use it: every worker sends its
// rank to rank 0 point-to-point, rank 0 answers each, and the sum must add up.
#include <mpi.h>

#include <cstdio>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int status = 0;
  if (rank == 0) {
    long sum = 0;
    for (int i = 1; i < size; ++i) {
      int value = 0;
      MPI_Status st;
      MPI_Recv(&value, 1, MPI_INT, MPI_ANY_SOURCE, 7, MPI_COMM_WORLD, &st);
      if (value != st.MPI_SOURCE) status = 1;
      sum += value;
      MPI_Send(&value, 1, MPI_INT, st.MPI_SOURCE, 8, MPI_COMM_WORLD);
    }
    if (sum != long(size) * (size - 1) / 2) status = 1;
    if (status == 0)
      std::printf("mpi environment ok: %d ranks\n", size);
    else
      std::printf("mpi environment broken: sum %ld\n", sum);
  } else {
    int echo = -1;
    MPI_Send(&rank, 1, MPI_INT, 0, 7, MPI_COMM_WORLD);
    MPI_Recv(&echo, 1, MPI_INT, 0, 8, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (echo != rank) status = 1;
  }
  MPI_Allreduce(MPI_IN_PLACE, &status, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return status;
}
