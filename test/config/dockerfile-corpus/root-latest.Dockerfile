FROM ubuntu
RUN apt-get update
RUN apt-get install curl
CMD ["bash"]
